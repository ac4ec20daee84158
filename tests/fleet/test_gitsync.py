"""Pushing the baseline to the provider's git server over a file URL: fast-forward only, one
outcome per branch, a diverged remote rejected and left as it was, bad settings refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisme_drift.baseline.store import APPROVED, OBSERVED
from prisme_drift.errors import ConfigError, OperationalError
from prisme_drift.fleet.gitsync import GitPushResult, PushOutcome, display_remote, push_baseline
from tests.fleet.conftest import Baseline, diverge, head

TIMEOUT = 60


def push(baseline: Baseline, remote: str) -> GitPushResult:
    return push_baseline(baseline.path, remote, ssh_key_file=None, token_file=None, timeout=TIMEOUT)


def outcomes(result: GitPushResult) -> dict[str, PushOutcome]:
    return {b.branch: b.outcome for b in result.branches}


def test_first_push_then_up_to_date_then_a_new_commit(baseline: Baseline, remote: Path) -> None:
    url = remote.as_uri()
    first = push(baseline, url)
    assert outcomes(first) == {OBSERVED: PushOutcome.PUSHED, APPROVED: PushOutcome.PUSHED}
    for branch in (OBSERVED, APPROVED):
        assert head(remote, branch) == head(baseline.path, branch)

    again = push(baseline, url)
    assert outcomes(again) == {OBSERVED: PushOutcome.UP_TO_DATE, APPROVED: PushOutcome.UP_TO_DATE}

    new = baseline.commit(OBSERVED)
    third = push(baseline, url)
    assert outcomes(third) == {OBSERVED: PushOutcome.PUSHED, APPROVED: PushOutcome.UP_TO_DATE}
    assert head(remote, OBSERVED) == new
    assert not third.rejected and not third.failed
    third.raise_for_failure()  # nothing failed: no error


def test_a_branch_without_commits_yet_is_not_pushed(tmp_path: Path, remote: Path) -> None:
    site = Baseline(tmp_path / "young.git")
    site.commit(OBSERVED)
    result = push(site, str(remote))  # a plain path works too
    assert outcomes(result) == {OBSERVED: PushOutcome.PUSHED, APPROVED: PushOutcome.ABSENT}
    assert head(remote, APPROVED) is None


def test_a_diverged_remote_is_rejected_never_forced(baseline: Baseline, remote: Path) -> None:
    push(baseline, remote.as_uri())
    theirs = diverge(remote, OBSERVED)  # someone else wrote to the site's repository
    ours = baseline.commit(OBSERVED)
    baseline.commit(APPROVED)

    result = push(baseline, remote.as_uri())

    assert outcomes(result) == {OBSERVED: PushOutcome.REJECTED, APPROVED: PushOutcome.PUSHED}
    (rejected,) = result.rejected
    assert (rejected.local_head, rejected.remote_head) == (ours, theirs)
    assert "remote diverged" in rejected.reason
    assert head(remote, OBSERVED) == theirs  # untouched: the server would have taken a force
    assert head(remote, APPROVED) == head(baseline.path, APPROVED)
    result.raise_for_failure()  # a rejection is an alert, not a job failure


def test_a_rejected_push_stays_rejected_on_the_next_syncs(baseline: Baseline, remote: Path) -> None:
    """New local commits do not change the divergence the rejection names (the alert's key)."""
    push(baseline, remote.as_uri())
    theirs = diverge(remote, OBSERVED)
    for _ in range(2):
        baseline.commit(OBSERVED)
        result = push(baseline, remote.as_uri())
        assert outcomes(result)[OBSERVED] is PushOutcome.REJECTED
        assert result.rejected[0].remote_head == theirs
        assert result.rejected[0].local_head == head(baseline.path, OBSERVED)
        assert head(remote, OBSERVED) == theirs


def test_a_missing_remote_fails_per_branch_with_a_clear_error(
    baseline: Baseline, tmp_path: Path
) -> None:
    missing = (tmp_path / "nowhere.git").as_uri()
    result = push(baseline, missing)
    assert outcomes(result) == {OBSERVED: PushOutcome.FAILED, APPROVED: PushOutcome.FAILED}
    with pytest.raises(OperationalError) as caught:
        result.raise_for_failure()
    assert "nowhere.git" in str(caught.value)
    assert "does not appear to be a git repository" in str(caught.value)


def test_bad_settings_are_refused_before_git_runs(
    baseline: Baseline, remote: Path, tmp_path: Path
) -> None:
    key = tmp_path / "deploy-key"
    key.write_text("not used\n")
    cases = [
        ("https://site:S3cr3t-t0ken@git.example.net/dupont.git", None, None, "holds a password"),
        ("git@git.example.net:dupont.git", None, None, "git_ssh_key_file is not set"),
        (
            "ssh://git@git.example.net/dupont.git",
            key,
            None,
            "deploy-key.known_hosts does not exist",
        ),
        (remote.as_uri(), None, key, "git_token_file is only for an https:// remote"),
        ("https://git.example.net/dupont.git", key, None, "git_ssh_key_file is only for"),
        ("ftp://git.example.net/dupont.git", None, None, "scheme 'ftp' is not supported"),
    ]
    for url, ssh_key, token, message in cases:
        with pytest.raises(ConfigError) as caught:
            push_baseline(baseline.path, url, ssh_key_file=ssh_key, token_file=token, timeout=5)
        assert message in str(caught.value), url
        assert "S3cr3t-t0ken" not in str(caught.value)
    assert head(remote, OBSERVED) is None


def test_display_remote_masks_a_password_only() -> None:
    assert display_remote("https://u:pw@h.example/r.git") == "https://u:***@h.example/r.git"
    assert display_remote("https://u@h.example/r.git") == "https://u@h.example/r.git"
    assert display_remote("git@h.example:r.git") == "git@h.example:r.git"
