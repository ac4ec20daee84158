"""Crash recovery for every writer: a plain ``prisme-drift run`` (not the daemon) repairs what a
killed writer left behind, before it writes.

Real processes, real kill -9, real SSH to the lab devices.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite, SmallDisk
from tests.daemon.conftest import ROOT, finished_polls, git, git_leftovers, query

pytestmark = pytest.mark.lab


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift -c SITE ARGS`` as a technician runs it (in this process: tests/clirun.py;
    the writers killed with -9 below are real processes)."""
    return run_cli(*args, config=site.config_file, cwd=ROOT)


def run_json(site: LabSite) -> tuple[int, dict[str, Any], str]:
    out = cli(site, "run", "--json")
    data = json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}
    return out.returncode, data, out.stderr


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {d["name"]: d["status"] for d in report["devices"]}


def vlans(first: int, count: int) -> list[str]:
    """A big change: many VLANs, so that the work after the git commit takes a while."""
    lines = []
    for n in range(first, first + count):
        lines += [f"vlan {n}", f" name CRASH-{n}-{'x' * 20}", "exit"]
    return lines


def leave_crash_leftovers(git_dir: Path) -> None:
    """What a writer killed in the middle of a commit leaves in the repository."""
    (git_dir / "index.lock").write_text("")
    (git_dir / "refs" / "heads" / "observed.lock").write_text("0" * 40 + "\n")
    (git_dir / "prisme-index.99999").write_bytes(b"DIRC")
    (git_dir / "prisme-blobs.dead").mkdir()
    (git_dir / "prisme-blobs.dead" / "0").write_text("half a blob")


def test_run_clears_a_killed_writers_git_locks_and_commits(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    leave_crash_leftovers(site.settings.baseline_path)
    site.device("sw01").configure(["vlan 777", " name AFTER-THE-CRASH", "exit"])

    code, report, stderr = run_json(site)

    assert code == 3, stderr  # unauthorized drift, not a failure on the stale locks
    assert statuses(report) == {"sw01": "changed"}
    assert report["commit"], "the change must be committed"
    assert "vlan 777" in git(site, "show", "observed:test-site/sw01.cfg").stdout
    assert any("vlan 777" in line for item in report["drift"] for line in item["lines"])
    assert git_leftovers(site) == []
    assert "removed stale refs/heads/observed.lock" in stderr
    assert git(site, "fsck", "--no-dangling").returncode == 0


def observed_ref(site: LabSite) -> str:
    return git(site, "rev-parse", "--verify", "-q", "refs/heads/observed").stdout.strip()


def kill_run_after_its_commit(site: LabSite, before: str) -> bool:
    """Start ``prisme-drift run`` and kill -9 it the moment its git commit is published.

    True if the kill landed between the git commit and the database commit (a torn poll).
    """
    polls = finished_polls(site)
    proc = subprocess.Popen(
        [sys.executable, "-m", "prisme_drift", "-c", str(site.config_file), "run", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    ref = site.settings.baseline_path / "refs" / "heads" / "observed"
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                moved = ref.read_text().strip() != before
            except OSError:
                moved = False
            if moved:
                os.kill(proc.pid, 9)
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
    return observed_ref(site) != before and finished_polls(site) == polls


def test_run_after_a_kill9_between_git_and_database_reports_the_change(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    torn = False
    for attempt in range(5):  # the kill must land after the git commit, before the database's
        site.device("sw01").configure(vlans(100 + attempt * 100, 60))
        if kill_run_after_its_commit(site, observed_ref(site)):
            torn = True
            break
    assert torn, "could not kill 'prisme-drift run' between its git and database commits"
    orphan = observed_ref(site)

    code, report, stderr = run_json(site)

    assert code == 3, stderr
    assert statuses(report) == {"sw01": "changed"}, "the killed run's change must not be lost"
    assert report["commit"] and report["commit"] != orphan
    assert "observed moved back" in stderr
    kept = git(site, "rev-parse", f"refs/prisme-drift/aborted/{orphan}").stdout.strip()
    assert kept == orphan  # the orphan commit is kept for inspection
    assert any(item["category"] == "vlan" for item in report["drift"])
    again_code, again, _ = run_json(site)
    assert statuses(again) == {"sw01": "unchanged"} and again["commit"] is None
    assert again_code == 3


# --------------------------------------------------------------------------- store faults


def db_path(site: LabSite) -> Path:
    return site.folder / "state" / "prisme-drift.sqlite"


def overwrite_a_page(path: Path) -> int:
    """Overwrite the last page of a SQLite file with garbage, as a bad sector would."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    finally:
        conn.close()
    with path.open("r+b") as handle:
        handle.seek((pages - 1) * page_size)
        handle.write(bytes(range(256)) * (page_size // 256))
    return int(pages)


def test_run_on_a_corrupt_database_exits_7_before_writing(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    run_poll(site.settings, deliver=False)
    site.device("sw01").configure(["vlan 778", " name AFTER-THE-CORRUPTION", "exit"])
    overwrite_a_page(db_path(site))
    before = observed_ref(site)

    out = cli(site, "run")

    assert out.returncode == 7, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    assert f"state database {db_path(site)} is corrupt" in out.stderr
    assert "backups" in out.stderr  # what to do
    assert observed_ref(site) == before, "nothing may be committed on top of a broken store"


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_run_on_a_full_disk_exits_7_and_loses_nothing_once_space_is_back(
    lab_site: Callable[..., LabSite], small_disk: SmallDisk
) -> None:
    site = lab_site(["sw01"], parent=small_disk.path)
    run_poll(site.settings, deliver=False)
    site.device("sw01").configure(vlans(500, 40))
    failures, torn = 0, 0
    for leave in range(0, 400_000, 12_288):  # from no space at all to enough for a poll
        polls, before = finished_polls(site), observed_ref(site)
        small_disk.fill(leave)
        out = cli(site, "run", "--json")
        small_disk.free()
        if out.returncode != 7:
            break
        failures += 1
        assert "Traceback" not in out.stderr and "internal error" not in out.stderr
        assert "the disk is full: cannot write " + str(site.folder) in out.stderr, out.stderr
        assert "df -h" in out.stderr
        torn += observed_ref(site) != before and finished_polls(site) == polls
    assert failures >= 3, "the disk was never full enough to fail a run"
    assert torn, "no run failed between its git commit and its database commit"
    assert out.returncode == 3, out.stderr  # enough space: the run goes through

    code, report, stderr = run_json(site)  # space back: everything is there, once
    assert code == 3, stderr
    assert statuses(report) == {"sw01": "unchanged"} and report["commit"] is None
    vlan_items = [i for i in report["drift"] if any("vlan 539" in x for x in i["lines"])]
    assert len(vlan_items) == 1, report["drift"]
    last = query(site, "SELECT observed_commit FROM polls ORDER BY id DESC LIMIT 1")
    assert last[0][0] == observed_ref(site)
    assert "vlan 539" in git(site, "show", "observed:test-site/sw01.cfg").stdout
    assert integrity(db_path(site)) == "ok"
    assert git(site, "fsck", "--no-dangling").returncode == 0


def test_run_on_a_read_only_file_system_exits_7_with_the_fix(
    lab_site: Callable[..., LabSite], small_disk: SmallDisk
) -> None:
    site = lab_site(["sw01"], parent=small_disk.path)
    run_poll(site.settings, deliver=False)
    before = observed_ref(site)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], check=True)

    out = cli(site, "run")

    assert out.returncode == 7, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    assert f"cannot write {site.folder}" in out.stderr and "Remount" in out.stderr
    assert observed_ref(site) == before
