"""The git baseline: two branches, commits only on change, readable with plain git."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import git.cmd
import pytest

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.models import Snapshot

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def snap(config: str, serial: str = "FOC1") -> dict[str, Snapshot]:
    return {"sw01": Snapshot("sw01", "ios", config, {"serial_number": serial})}


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_commit_only_when_something_changed(tmp_path: Path) -> None:
    path = tmp_path / "baselines"
    with BaselineRepo(path, "site1") as repo:
        first = repo.commit(OBSERVED, snap("hostname sw01\n"), "poll 1", NOW)
        assert first is not None
        assert repo.commit(OBSERVED, snap("hostname sw01\n"), "poll 2", NOW) is None
        assert repo.commit(OBSERVED, snap("hostname sw01\n", "FOC2"), "poll 3", NOW) is not None
    assert run_git(path, "rev-list", "--count", OBSERVED).strip() == "2"


def test_plain_git_reads_both_branches(tmp_path: Path) -> None:
    path = tmp_path / "baselines"
    with BaselineRepo(path, "site1") as repo:
        repo.commit(OBSERVED, snap("hostname sw01\nvlan 30\n"), "poll", NOW)
        repo.commit(APPROVED, snap("hostname sw01\n"), "baseline", NOW, {"Ticket": "CHG-1"})
    assert run_git(path, "show", f"{OBSERVED}:site1/sw01.cfg") == "hostname sw01\nvlan 30\n"
    assert '"serial_number": "FOC1"' in run_git(path, "show", f"{APPROVED}:site1/sw01.facts.json")
    assert "Ticket: CHG-1" in run_git(path, "log", "-1", "--format=%B", APPROVED)
    assert run_git(path, "config", "core.fsync").strip() == "committed"


def test_read_missing_device_and_branch(tmp_path: Path) -> None:
    with BaselineRepo(tmp_path / "b", "site1") as repo:
        assert repo.read(APPROVED, "sw01", "ios") is None
        repo.commit(OBSERVED, snap("hostname sw01\n"), "poll", NOW)
        assert repo.read(OBSERVED, "sw02", "ios") is None
        got = repo.read(OBSERVED, "sw01", "ios")
        assert got is not None and got.config == "hostname sw01\n"
        assert got.facts == {"serial_number": "FOC1"}


def test_other_devices_are_kept_when_one_changes(tmp_path: Path) -> None:
    with BaselineRepo(tmp_path / "b", "site1") as repo:
        two = {**snap("hostname sw01\n"), "sw02": Snapshot("sw02", "ios", "hostname sw02\n")}
        repo.commit(OBSERVED, two, "poll 1", NOW)
        repo.commit(OBSERVED, snap("hostname sw01\nvlan 5\n"), "poll 2", NOW)
        sw02 = repo.read(OBSERVED, "sw02", "ios")
        assert sw02 is not None and sw02.config == "hostname sw02\n"


def test_no_private_index_or_temp_files_left(tmp_path: Path) -> None:
    path = tmp_path / "b"
    with BaselineRepo(path, "site1") as repo:
        repo.commit(OBSERVED, snap("hostname sw01\n"), "poll", NOW)
    leftovers = [p.name for p in path.iterdir() if p.name.startswith("prisme-")]
    assert leftovers == []
    assert not (path / "index.lock").exists()


def _git_children() -> list[str]:
    """Command lines of this process's live ``git`` children (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid() and cmdline.startswith("git"):
            found.append(cmdline)
    return found


def test_reads_are_batched_per_branch_and_leave_no_git_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every device of a site costs a fixed number of git processes, not some per
    device; a file missing on a branch still reads as new; a commit is seen by later reads."""
    path = tmp_path / "b"
    snaps = {
        f"sw{n:02d}": Snapshot(f"sw{n:02d}", "ios", f"hostname sw{n:02d}\n") for n in range(30)
    }
    with BaselineRepo(path, "site1") as repo:
        repo.commit(OBSERVED, snaps, "poll 1", NOW)
        repo.commit(APPROVED, dict(list(snaps.items())[:20]), "baseline", NOW)
    spawned: list[str] = []
    real = subprocess.Popen

    def popen(args: list[str], *rest: object, **kw: object) -> object:
        spawned.append(" ".join(map(str, args)))
        return real(args, *rest, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(git.cmd, "safer_popen", popen)  # GitPython's commands
    monkeypatch.setattr(subprocess, "Popen", popen)  # and any other
    with BaselineRepo(path, "site1") as repo:
        for name in snaps:
            observed = repo.read(OBSERVED, name, "ios")
            assert observed is not None and observed.config == f"hostname {name}\n"
            approved = repo.read(APPROVED, name, "ios")
            assert (approved is None) == (int(name[2:]) >= 20)  # missing: new on approved
            assert repo.read_state(OBSERVED, name) is None
        repo.commit(
            OBSERVED, {"sw05": Snapshot("sw05", "ios", "hostname sw05\nvlan 9\n")}, "p", NOW
        )
        moved = repo.read(OBSERVED, "sw05", "ios")
        assert moved is not None and moved.config.endswith("vlan 9\n")
        reads = [c for c in spawned if "commit-tree" not in c]
        assert len(reads) <= 16, reads  # was one rev-parse per read: 90 and more
    assert _git_children() == []  # no git helper left once the repo is closed
