"""A device taken out of hosts.yaml, through the command line and over SSH against the lab.

Removal is said once (an event, an audit entry), the device's open drift items close with the
reason ``device_removed``, its baseline stays in git, ``status`` marks it, and a device put back
resumes with its history (same row, same baseline, its drift seen again).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
NEW_VLAN = ["vlan 40", " name CFAO-TEMP", "exit"]


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args, cwd=ROOT)


def json_of(site: LabSite, *args: str) -> Any:
    result = cli(site, *args, "--json")
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def sql(site: LabSite, query: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(site.folder / "state" / "prisme-drift.sqlite")
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def in_git(site: LabSite, branch: str, device: str) -> bool:
    path = f"{branch}:test-site/{device}.cfg"
    git = ["git", "--git-dir", str(site.settings.baseline_path), "cat-file", "-e", path]
    return subprocess.run(git, check=False).returncode == 0


def test_removed_device_is_said_once_kept_in_git_and_resumes(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01", "sw02"])
    hosts = site.folder / "inventory" / "hosts.yaml"
    full = hosts.read_text()
    assert cli(site, "run").returncode == 0
    site.device("sw02").configure(NEW_VLAN)
    assert cli(site, "run").returncode == 3
    [item] = json_of(site, "drift", "list")
    device_id = sql(site, "SELECT id FROM devices WHERE name = 'sw02'")[0][0]

    inventory = yaml.safe_load(full)
    del inventory["sw02"]
    hosts.write_text(yaml.safe_dump(inventory))
    result = cli(site, "run", "--json")
    assert result.returncode == 0, result.stderr  # the only open drift was on sw02
    report = json.loads(result.stdout)
    assert [d["name"] for d in report["devices"]] == ["sw01"]
    assert report["removed"] == ["sw02"] and report["closed"] == [item["id"]]
    assert "sw02: removed from the inventory; 1 open drift item(s) closed" in result.stderr
    [closed] = json_of(site, "drift", "list", "--all")
    assert closed["closed_at"] and closed["close_reason"] == "device_removed"
    for branch in ("observed", "approved"):
        assert in_git(site, branch, "sw02"), branch  # the baseline is never deleted

    again = json_of(site, "run")
    assert again["removed"] == [] and again["closed"] == []
    status = json_of(site, "status")
    rows = {d["name"]: d for d in status["devices"]}
    assert rows["sw02"]["removed"] is True and rows["sw02"]["removed_at"]
    assert rows["sw01"]["removed"] is False and status["open_drift"] == 0
    table = cli(site, "status").stdout
    assert "removed from the inventory" in table
    events = sql(site, "SELECT kind, device FROM events WHERE kind LIKE 'device%'")
    assert events == [("device_removed", "sw02")]
    assert [r[0] for r in sql(site, "SELECT kind FROM events WHERE kind = 'drift_closed'")] == []
    assert sql(site, "SELECT subject FROM audit_log WHERE action = 'device.removed'") == [("sw02",)]

    hosts.write_text(full)  # put back: same row, same baseline, the VLAN is drift again
    back = cli(site, "run", "--json")
    assert back.returncode == 3
    outcome = {d["name"]: d["status"] for d in json.loads(back.stdout)["devices"]}
    assert outcome == {"sw01": "unchanged", "sw02": "unchanged"}
    assert sql(site, "SELECT id, removed_at FROM devices WHERE name = 'sw02'") == [
        (device_id, None)
    ]
    [reopened] = json_of(site, "drift", "list")
    assert reopened["device"] == "sw02" and reopened["added"] == ["vlan 40", " name CFAO-TEMP"]
    assert json_of(site, "status")["devices"][1]["removed"] is False
    assert cli(site, "audit", "verify").returncode == 0
