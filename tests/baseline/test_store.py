"""The git baseline: two branches, commits only on change, readable with plain git."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.models import Snapshot

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def snap(config: str, serial: str = "FOC1") -> dict[str, Snapshot]:
    return {"sw01": Snapshot("sw01", "ios", config, {"serial_number": serial})}


def git(repo: Path, *args: str) -> str:
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
    assert git(path, "rev-list", "--count", OBSERVED).strip() == "2"


def test_plain_git_reads_both_branches(tmp_path: Path) -> None:
    path = tmp_path / "baselines"
    with BaselineRepo(path, "site1") as repo:
        repo.commit(OBSERVED, snap("hostname sw01\nvlan 30\n"), "poll", NOW)
        repo.commit(APPROVED, snap("hostname sw01\n"), "baseline", NOW, {"Ticket": "CHG-1"})
    assert git(path, "show", f"{OBSERVED}:site1/sw01.cfg") == "hostname sw01\nvlan 30\n"
    assert '"serial_number": "FOC1"' in git(path, "show", f"{APPROVED}:site1/sw01.facts.json")
    assert "Ticket: CHG-1" in git(path, "log", "-1", "--format=%B", APPROVED)
    assert git(path, "config", "core.fsync").strip() == "committed"


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
