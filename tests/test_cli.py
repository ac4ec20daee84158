"""The command line as a technician uses it: exit codes, JSON contracts, and real processes
where the process itself is under test (start-up from ``python -m``, signals, ``TMPDIR``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.conftest import DemoRun, LabSite

IOS_A = """hostname sw01
vlan 10
 name STAFF
interface GigabitEthernet1/0/1
 switchport access vlan 10
snmp-server community Sup3rS3cret RO
end
"""


def process(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m prisme_drift [-c config] args...`` in a real process."""
    prefix = ["-c", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "prisme_drift", *prefix, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The same command run in this process (tests/clirun.py)."""
    return run_cli(*args, config=config)


def test_init_creates_a_site_and_refuses_to_overwrite(tmp_path: Path) -> None:
    site = tmp_path / "cabinet-dupont"
    first = process("init", str(site), "--client", "Cabinet Dupont")
    assert first.returncode == 0, first.stderr
    for name in (
        "prisme-drift.toml",
        "inventory/hosts.yaml",
        "credentials.yaml",
        "baselines/HEAD",
        "state/prisme-drift.sqlite",
    ):
        assert (site / name).exists(), name
    assert (site / "credentials.yaml").stat().st_mode & 0o777 == 0o600
    assert 'name = "cabinet-dupont"' in (site / "prisme-drift.toml").read_text()
    before = (site / "prisme-drift.toml").read_text()
    again = process("init", str(site))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert (site / "prisme-drift.toml").read_text() == before


def test_bad_settings_exit_2_naming_file_and_keys(tmp_path: Path) -> None:
    config = tmp_path / "prisme-drift.toml"
    config.write_text('[site]\nname = "ok"\n[collect]\nworkers = "many"\ntimeout = -1\n')
    result = process("run", config=config)
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "[collect.workers]" in result.stderr and "[collect.timeout]" in result.stderr
    assert not (tmp_path / "state").exists()  # nothing written on bad input


def test_bad_inventory_lists_every_problem(tmp_path: Path) -> None:
    assert cli("init", str(tmp_path / "s")).returncode == 0
    hosts = tmp_path / "s" / "inventory" / "hosts.yaml"
    hosts.write_text(
        "sw01:\n  hostname: 10.0.0.1\n  platform: nosuchos\n"
        "sw02:\n  platform: ios\n  groups: [ghosts]\n"
        "sw01:\n  hostname: 10.0.0.2\n"
    )
    result = cli("run", config=tmp_path / "s" / "prisme-drift.toml")
    assert result.returncode == 2
    assert "'sw01' is defined twice" in result.stderr
    hosts.write_text(
        "sw01:\n  hostname: 10.0.0.1\n  platform: nosuchos\n"
        "sw02:\n  platform: ios\n  groups: [ghosts]\n"
    )
    result = cli("run", config=tmp_path / "s" / "prisme-drift.toml")
    assert result.returncode == 2
    assert "group 'ghosts' is not defined" in result.stderr
    assert "unknown platform 'nosuchos'" in result.stderr
    assert "no 'hostname'" in result.stderr


@pytest.mark.lab
def test_run_drift_accept_status_diff(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    first = cli("run", "--json", config=site.config_file)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert set(report) >= {"site", "started_at", "finished_at", "devices", "drift", "commit"}
    assert {d["name"]: d["status"] for d in report["devices"]} == {"sw01": "ok", "sw02": "ok"}
    assert len(report["commit"]) == 40

    site.device("sw02").configure(["vlan 77", " name IOT", "exit"])
    second = cli("run", "--json", config=site.config_file)
    assert second.returncode == 3
    drift = json.loads(second.stdout)["drift"]
    assert [(i["device"], i["category"], i["verdict"]) for i in drift] == [
        ("sw02", "vlan", "unauthorized")
    ]

    listed = json.loads(cli("drift", "list", "--json", config=site.config_file).stdout)
    item = listed[0]
    assert set(item) >= {
        "id",
        "device",
        "category",
        "verdict",
        "reason",
        "opened_at",
        "closed_at",
        "lines",
    }
    assert item["lines"] == ["+ vlan 77", "+  name IOT"]
    assert item["reason"] == "no_ticket" and item["closed_at"] is None

    shown = cli("drift", "show", str(item["id"]), config=site.config_file)
    assert shown.returncode == 0 and "+ vlan 77" in shown.stdout and "no vlan 77" in shown.stdout

    diff = cli("diff", "sw02", config=site.config_file)
    assert diff.returncode == 3 and "+vlan 77" in diff.stdout  # differ: 3, as compare
    same = cli("diff", "sw01", config=site.config_file)
    assert same.returncode == 0 and "sw01: observed equals approved" in same.stdout
    unknown = cli("diff", "sw99", config=site.config_file)
    assert unknown.returncode == 5 and "no baseline for device 'sw99'" in unknown.stderr

    table = cli("run", config=site.config_file)
    assert table.returncode == 3 and "vlan 77" in table.stdout

    accepted = cli(
        "drift",
        "accept",
        str(item["id"]),
        "--by",
        "Marie",
        "--reason",
        "CHG-7",
        config=site.config_file,
    )
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(cli("drift", "list", "--json", config=site.config_file).stdout) == []
    closed = json.loads(cli("drift", "list", "--json", "--all", config=site.config_file).stdout)
    assert closed[0]["verdict"] == "accepted" and closed[0]["closed_at"]
    twice = cli(
        "drift", "accept", str(item["id"]), "--by", "M", "--reason", "x", config=site.config_file
    )
    assert twice.returncode == 5 and "already closed" in twice.stderr

    third = cli("run", "--json", config=site.config_file)
    assert third.returncode == 0, third.stdout
    assert cli("diff", "sw02", config=site.config_file).returncode == 0  # accepted: equal again

    status = json.loads(cli("status", "--json", config=site.config_file).stdout)
    assert status["open_drift"] == 0
    assert {d["name"]: d["last_status"] for d in status["devices"]} == {
        "sw01": "unchanged",
        "sw02": "unchanged",
    }


def test_compare_and_normalize_offline(tmp_path: Path) -> None:
    a = tmp_path / "a.cfg"
    b = tmp_path / "b.cfg"
    a.write_text(IOS_A)
    b.write_text(
        IOS_A.replace("vlan 10\n name STAFF", "vlan 10\n name STAFF\nvlan 20\n name IMG").replace(
            "Sup3rS3cret", "0therS3cret"
        )
    )
    same = cli("compare", "--platform", "ios", str(a), str(a))
    assert same.returncode == 0
    differ = cli("compare", "--platform", "ios", str(a), str(b), "--json")
    assert differ.returncode == 3
    result = json.loads(differ.stdout)
    assert result["platform"] == "ios"
    assert {h["category"] for h in result["hunks"]} == {"vlan", "management"}
    assert "Sup3rS3cret" not in differ.stdout and "0therS3cret" not in differ.stdout
    assert "no vlan 20" in result["remediation"]
    bad = cli("compare", "--platform", "nosuchos", str(a), str(b))
    assert bad.returncode == 2 and "known platforms" in bad.stderr
    missing = cli("compare", "--platform", "ios", str(a), str(tmp_path / "nope.cfg"))
    assert missing.returncode == 2
    normalized = cli("normalize", "--platform", "ios", str(a))
    assert normalized.returncode == 0
    assert (
        "Sup3rS3cret" not in normalized.stdout
        and "snmp-server community <secret:" in normalized.stdout
    )


@pytest.mark.lab
def test_demo_exits_0_and_prints_the_french_alert(french_demo: DemoRun) -> None:
    result = french_demo.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert "modification non autorisée sur sw-imagerie (VLAN)" in result.stdout
    assert "modification non autorisée sur fw-cabinet (NAT)" in result.stdout
    assert 'set mappedip "192.168.10.30"' in result.stdout
    assert "+ vlan 40" in result.stdout
    assert "drift accept" in result.stdout


@pytest.mark.xdist_group("demo")  # one demo at a time (tests/conftest.py)
@pytest.mark.lab
def test_demo_in_english_without_dir_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # what TMPDIR gives a new process
    result = cli("demo", "--lang", "en")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unauthorized change on sw-imagerie (VLAN)" in result.stdout
    assert "site folder: temporary, removed at exit" in result.stdout
    # only the documents stay, in the one folder the demo names; the site itself is gone
    reports = scratch / "prisme-drift-demo-reports"
    assert [p.name for p in scratch.iterdir()] == [reports.name]
    assert f"site audit: {reports}" in result.stdout
    assert {p.suffix for p in reports.iterdir()} == {".pdf", ".html"}


@pytest.mark.xdist_group("demo")  # one demo at a time (tests/conftest.py)
@pytest.mark.lab
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_demo_removes_its_folder(tmp_path: Path, signum: signal.Signals) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    demo = subprocess.Popen(
        [sys.executable, "-m", "prisme_drift", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        deadline = time.monotonic() + 120
        while not list(scratch.glob("prisme-drift-demo-*/prisme-drift.toml")):
            assert demo.poll() is None and time.monotonic() < deadline, "the demo never started"
            time.sleep(0.1)
        demo.send_signal(signum)
        _, stderr = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(scratch.iterdir()) == []
