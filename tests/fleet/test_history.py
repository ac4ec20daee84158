"""A device's configuration history read from the site's bare repository on the git server, as
the site's real push made it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prisme_drift.baseline.store import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.errors import BaselineError, RefusedError
from prisme_drift.fleet.gitsync import PushOutcome, push_baseline
from prisme_drift.fleet.history import SiteHistory, repository_path
from prisme_drift.models import Snapshot
from prisme_drift.scrub import remember
from tests.baseline.test_store import _git_children
from tests.fleet.conftest import SITE, make_bare

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BASE = "hostname sw01\nvlan 10\n name DATA\ninterface Gi1/0/1\n switchport access vlan 10\n"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def commit(repo: BaselineRepo, branch: str, device: str, config: str, when: datetime) -> str:
    sha = repo.commit(
        branch, {device: Snapshot(device, "ios", config)}, f"poll: {device} changed", when
    )
    assert sha is not None
    return sha


@pytest.fixture
def git_root(tmp_path: Path) -> Path:
    """The web host's folder of site repositories, holding the site's, filled by a real push:
    sw01 changes at +1 h (VLAN 40 added) and +3 h (port moved to VLAN 40), approved follows at
    +2 h; sw02 changes at +2 h (another device: never in sw01's history)."""
    baseline = tmp_path / "site" / "baseline.git"
    with BaselineRepo(baseline, SITE) as repo:
        commit(repo, OBSERVED, "sw01", BASE, at(0))
        commit(repo, APPROVED, "sw01", BASE, at(0))
        commit(repo, OBSERVED, "sw01", BASE + "vlan 40\n name CFAO\n", at(1))
        commit(repo, OBSERVED, "sw02", "hostname sw02\n", at(2))
        commit(repo, APPROVED, "sw01", BASE + "vlan 40\n name CFAO\n", at(2))
        moved = BASE.replace("access vlan 10", "access vlan 40") + "vlan 40\n name CFAO\n"
        commit(repo, OBSERVED, "sw01", moved, at(3))
    root = tmp_path / "git"
    root.mkdir()
    remote = make_bare(root / f"{SITE}.git")
    pushed = push_baseline(baseline, str(remote), ssh_key_file=None, token_file=None, timeout=30)
    assert {b.outcome for b in pushed.branches} == {PushOutcome.PUSHED}
    return root


def test_history_lists_a_devices_commits_of_both_branches_newest_first(git_root: Path) -> None:
    with SiteHistory(git_root, SITE) as history:
        page = history.revisions("sw01")
        assert [(r.branches, r.at) for r in page.revisions] == [
            ((OBSERVED,), at(3)),
            ((APPROVED,), at(2)),
            ((OBSERVED,), at(1)),
            ((OBSERVED, APPROVED), at(0)),  # the same first commit on both branches
        ]
        assert page.revisions[0].subject == "poll: sw01 changed" and not page.more
        first = history.revisions("sw01", per_page=3)
        second = history.revisions("sw01", page=2, per_page=3)
        third = history.revisions("sw01", page=3, per_page=3)
        assert first.more and not second.more and third.revisions == ()
        assert len(first.revisions) == 3 and len(second.revisions) == 1
        paged = [r.commit for p in (first, second) for r in p.revisions]
        assert paged == [r.commit for r in page.revisions]
        only_approved = history.revisions("sw01", branches=(APPROVED,))
        assert [r.at for r in only_approved.revisions] == [at(2), at(0)]
        assert [r.at for r in history.revisions("sw02").revisions] == [at(2)]
        assert history.revisions("sw99").revisions == ()
    assert _git_children() == []  # the Repo and its git helpers are closed


def test_the_configuration_as_of_a_date_is_the_last_commit_at_or_before_it(
    git_root: Path,
) -> None:
    with SiteHistory(git_root, SITE) as history:
        assert history.text_at("sw01", at(0) - timedelta(seconds=1)) is None
        exact = history.text_at("sw01", at(1))
        assert exact is not None and exact.at == at(1) and "vlan 40" in exact.text
        between = history.text_at("sw01", at(2) + timedelta(minutes=30))
        assert between is not None and between.commit == exact.commit
        assert history.text_at("sw01", at(9), APPROVED) is not None
        assert history.text_at("sw02", at(1)) is None  # sw02 appears at +2 h
    assert _git_children() == []


def test_a_diff_between_two_dates_shows_exactly_the_changed_lines(git_root: Path) -> None:
    with SiteHistory(git_root, SITE) as history:
        diff = history.diff("sw01", at(0) + timedelta(minutes=5), at(3))
        assert diff is not None
        changed = [
            line for line in diff.lines if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert changed == [
            "- switchport access vlan 10",
            "+ switchport access vlan 40",
            "+vlan 40",
            "+ name CFAO",
        ]
        page = history.revisions("sw01").revisions
        by_commit = history.diff("sw01", page[2].commit[:10], page[0].commit)
        assert by_commit is not None and by_commit.dropped == 0
        assert (by_commit.old_at, by_commit.new_at) == (at(1), at(3))
        assert "+ switchport access vlan 40" in by_commit.lines
        assert "+vlan 40" not in by_commit.lines  # already there at +1 h
        same = history.diff("sw01", at(1), at(2))  # nothing changed on observed in between
        assert same is not None and same.lines == ()
        assert history.diff("sw01", at(-1), at(3)) is None  # before the first commit
        cut = history.diff("sw01", at(0), at(3), max_lines=3)
        assert cut is not None and len(cut.lines) == 3 and cut.dropped > 0
        assert cut.text.endswith(f"[diff truncated: {cut.dropped} more lines not shown]")
    assert _git_children() == []


def test_names_that_could_leave_the_git_root_or_read_other_objects_are_refused(
    git_root: Path, tmp_path: Path
) -> None:
    for bad in ("../site", "a/b", "", ".hidden", "Site", "x" * 65):
        with pytest.raises(RefusedError, match="not a site name"):
            repository_path(git_root, bad)
    (tmp_path / "outside.git").mkdir()
    (git_root / "escape.git").symlink_to(tmp_path / "outside.git")
    with pytest.raises(RefusedError, match="not directly under"):
        repository_path(git_root, "escape")
    with SiteHistory(git_root, SITE) as history:
        for device in ("../x", "..", "sw01/../sw02", "", "sw\n01"):
            with pytest.raises(RefusedError, match="not a device name"):
                history.revisions(device)
        for literal in ("sw*", ":(glob)sw*", "-n1", "sw0?"):  # paths, never patterns or options
            assert history.revisions(literal).revisions == ()
        with pytest.raises(RefusedError, match="not a baseline branch"):
            history.text_at("sw01", at(3), "main")
        with pytest.raises(RefusedError, match="not a commit id"):
            history.diff("sw01", "HEAD~1", at(3))
        with pytest.raises(RefusedError, match="no commit 0000000"):
            history.diff("sw01", "0000000", at(3))
    with pytest.raises(BaselineError, match="has not pushed its baseline yet") as caught:
        SiteHistory(git_root, "clinic-none").__enter__()
    assert str(git_root) in str(caught.value)


def test_texts_and_diffs_go_through_the_scrubber(tmp_path: Path) -> None:
    """The baseline holds fingerprints, never secrets; a value the process knows as a secret is
    masked all the same if it ever reached a repository."""
    secret = secrets.token_hex(8)
    baseline = tmp_path / "baseline.git"
    with BaselineRepo(baseline, SITE) as repo:
        commit(repo, OBSERVED, "sw09", "hostname sw09\n", at(0))
        commit(repo, OBSERVED, "sw09", f"hostname sw09\nsnmp-server community {secret} RO\n", at(1))
    remote = make_bare(tmp_path / "git" / f"{SITE}.git")
    push_baseline(baseline, str(remote), ssh_key_file=None, token_file=None, timeout=30)
    remember(secret)
    with SiteHistory(tmp_path / "git", SITE) as history:
        version = history.text_at("sw09", at(2))
        diff = history.diff("sw09", at(0), at(1))
    assert version is not None and diff is not None
    assert secret not in version.text + diff.text
    assert "+snmp-server community *** RO" in diff.lines
