"""A device whose SSH host key changed, through the command line and over SSH against the lab.

``check`` and ``run`` say that the key changed, with the pinned and presented fingerprints and
the command that accepts the new one; ``hostkey accept`` never replaces the pin without a
confirmation that matches what the device presents, and records who accepted it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    # stdin is empty and not a terminal, as under cron or ssh without a terminal
    return run_cli(*args, config=site.config_file, cwd=ROOT)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_changed_key_is_explained_and_accepted_only_on_purpose(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01", "sw02"])
    assert cli(site, "run").returncode == 0  # pins both keys
    known_hosts = site.settings.state_path / "known_hosts"
    old = site.device("sw01").host_key_fingerprint()
    new = site.lab.rotate_host_key("sw01")
    pinned = known_hosts.read_bytes()
    attempts = site.device("sw01").password_attempts
    said = (
        f"pinned ssh-ed25519 {old}, the device now presents ssh-ed25519 {new}",
        "then run: prisme-drift hostkey accept sw01",
    )

    check = cli(site, "check", "--json")
    assert check.returncode == 4
    rows = {d["device"]: d for d in as_json(check)["devices"]}
    assert all(text in rows["sw01"]["detail"] for text in said), rows["sw01"]["detail"]
    assert rows["sw01"]["failed_at"] == "hostkey" and rows["sw01"]["login"] == ""
    assert rows["sw02"]["ok"] and rows["sw02"]["hostkey"] == "pinned, matches"
    assert site.device("sw01").password_attempts == attempts  # no login against a changed key

    run = cli(site, "run", "--json")
    assert run.returncode == 4
    outcome = {d["name"]: d for d in as_json(run)["devices"]}
    assert outcome["sw01"]["error_kind"] == "hostkey"
    assert all(text in outcome["sw01"]["error"] for text in said), outcome["sw01"]["error"]
    assert "Cannot connect" not in outcome["sw01"]["error"]

    refused = [
        (("hostkey", "accept", "sw01"), "not on a terminal"),
        (("hostkey", "accept", "sw01", "--fingerprint", old), f"presents ssh-ed25519 {new}"),
        (("hostkey", "accept", "sw09", "--fingerprint", new), "no device 'sw09'"),
    ]
    for args, message in refused:
        result = cli(site, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert known_hosts.read_bytes() == pinned  # nothing replaced

    accepted = cli(site, "hostkey", "accept", "sw01", "--fingerprint", new, "--by", "J. Martin")
    assert accepted.returncode == 0, accepted.stderr
    assert f"pinned:   ssh-ed25519 {old}" in accepted.stdout
    assert f"presents: ssh-ed25519 {new}" in accepted.stdout
    entries = as_json(cli(site, "audit", "list", "--json"))
    [entry] = [e for e in entries if e["action"] == "hostkey.accept"]
    assert (entry["actor"], entry["subject"]) == ("J. Martin", "sw01")
    assert entry["details"]["old"] == [f"ssh-ed25519 {old}"]
    assert entry["details"]["new"] == f"ssh-ed25519 {new}"
    assert cli(site, "audit", "verify").returncode == 0

    after = cli(site, "run", "--json")
    assert after.returncode == 0, after.stdout
    assert {d["status"] for d in as_json(after)["devices"]} == {"unchanged"}
    again = cli(site, "hostkey", "accept", "sw01")
    assert again.returncode == 0 and "nothing to accept" in again.stdout

    site.lab.stop_device("sw02")
    down = cli(site, "hostkey", "accept", "sw02", "--fingerprint", new)
    assert down.returncode == 4 and "cannot read its host key" in down.stderr
