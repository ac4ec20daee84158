"""Firewall and NAT drift end to end over SSH: a FortiGate-like and a MikroTik-like device."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

import pytest
from netmiko import ConnectHandler

from prisme_drift.poll import run_poll
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

# Plain values of the lab's secrets (lab/data, lab/routeros.py): they must never be stored.
LAB_SECRETS = ("Sourire-Staff-2024", "Bienvenue-Patients", "Radio-CBCT-2024", "Cabinet-Admin-2024")


def git_all(site: LabSite) -> str:
    repo = str(site.settings.baseline_path)
    return subprocess.run(
        ["git", "--git-dir", repo, "log", "--all", "-p"], capture_output=True, text=True, check=True
    ).stdout


def commits(site: LabSite) -> int:
    repo = str(site.settings.baseline_path)
    out = subprocess.run(
        ["git", "--git-dir", repo, "rev-list", "--count", "observed"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def test_resalted_fortios_secrets_make_no_drift(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site({"fw01": "fortinet", "rb01": "mikrotik_routeros"})
    first = run_poll(site.settings, deliver=False)
    assert {d.name: str(d.status) for d in first.devices} == {"fw01": "ok", "rb01": "ok"}
    for _ in range(9):
        report = run_poll(site.settings, deliver=False)
        assert {str(d.status) for d in report.devices} == {"unchanged"}
        assert report.drift == ()
    assert commits(site) == 1
    history = git_all(site)
    assert "set passphrase ENC <secret:resalted>" in history
    for secret in LAB_SECRETS:
        assert secret not in history


def admin_hash(running: str) -> str:
    """The ``ENC SH2...`` hash of the lab FortiGate's ``admin`` account."""
    found = re.search(r'edit "admin"\n(?:        .*\n)*?        set password ENC (SH2\S+)', running)
    assert found, "no SH2 admin hash in the running config"
    return found.group(1)


def test_changed_fortigate_admin_password_is_one_fingerprinted_drift(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site({"fw01": "fortinet"})
    run_poll(site.settings, deliver=False)
    device = site.device("fw01")
    old_hash = admin_hash(device.running_config())
    new_password = "Nouveau-Admin-2026!"
    conn = ConnectHandler(
        device_type="fortinet",
        host="127.0.0.1",
        port=device.port,
        username=device.username,
        password=device.password,
        conn_timeout=5,
    )
    try:
        output = conn.send_config_set(
            ["config system admin", 'edit "admin"', f"set password {new_password}", "next", "end"]
        )
    finally:
        conn.disconnect()
    assert "Command fail" not in output
    new_hash = admin_hash(device.running_config())
    assert new_hash != old_hash

    report = run_poll(site.settings, deliver=False)
    assert report.exit_code == 3
    assert len(report.drift) == 1, [(i.category, i.path, i.lines()) for i in report.drift]
    item = report.drift[0]
    assert item.category == "management"
    assert item.path[0] == "config system admin"
    assert len(item.removed) == len(item.added) == 1
    assert re.fullmatch(r"set password ENC <secret:[0-9a-f]{16}>", item.removed[0])
    assert re.fullmatch(r"set password ENC <secret:[0-9a-f]{16}>", item.added[0])
    assert item.removed[0] != item.added[0]
    shown = json.dumps(report.as_dict()) + git_all(site)
    for secret in (old_hash, new_hash, new_password, *LAB_SECRETS):
        assert secret not in shown

    again = run_poll(site.settings, deliver=False)  # the reversible ENC values re-salted again
    assert [i.id for i in again.drift] == [item.id] and again.closed == ()
    assert {str(d.status) for d in again.devices} == {"unchanged"}


def test_port_forward_and_policy_on_fortigate(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site({"fw01": "fortinet"})
    run_poll(site.settings, deliver=False)
    site.device("fw01").configure(
        [
            "config firewall vip",
            'edit "rdp-poste-accueil"',
            "set extip 0.0.0.0",
            'set extintf "wan1"',
            "set portforward enable",
            'set mappedip "192.168.10.20"',
            "set extport 3389",
            "set mappedport 3389",
            "next",
            "end",
            "config firewall policy",
            "edit 0",
            'set name "rdp-in"',
            'set srcintf "wan1"',
            'set dstintf "internal"',
            'set srcaddr "all"',
            'set dstaddr "rdp-poste-accueil"',
            "set action accept",
            'set schedule "always"',
            'set service "RDP"',
            "next",
            "end",
        ]
    )
    report = run_poll(site.settings, deliver=False)
    assert report.exit_code == 3
    categories = {item.category for item in report.drift}
    assert categories == {"nat", "firewall"}, [
        (i.category, i.path, i.lines()) for i in report.drift
    ]
    vip = next(i for i in report.drift if i.category == "nat")
    assert any("rdp-poste-accueil" in line for line in vip.lines() + list(vip.path))
    assert any("delete" in line for line in vip.remediation), vip.remediation


def test_dstnat_and_filter_rule_on_mikrotik(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site({"rb01": "mikrotik_routeros"})
    run_poll(site.settings, deliver=False)
    site.device("rb01").configure(
        [
            '/ip firewall nat add action=dst-nat chain=dstnat comment="vnc cfao" dst-port=5900 '
            "in-interface-list=WAN protocol=tcp to-addresses=192.168.20.30 to-ports=5900",
            '/ip firewall filter add action=accept chain=forward comment="vnc cfao" dst-port=5900 '
            "in-interface-list=WAN protocol=tcp place-before=0",
        ]
    )
    report = run_poll(site.settings, deliver=False)
    categories = sorted(item.category for item in report.drift)
    assert categories == ["firewall", "nat"], [(i.category, i.lines()) for i in report.drift]
    nat = next(i for i in report.drift if i.category == "nat")
    assert any("to-addresses=192.168.20.30" in line for line in nat.lines())
    site.device("rb01").configure(
        [
            '/ip firewall nat remove [find comment="vnc cfao"]',
            '/ip firewall filter remove [find comment="vnc cfao"]',
        ]
    )
    after = run_poll(site.settings, deliver=False)
    assert after.drift == ()
    assert sorted(after.closed) == sorted(i.id for i in report.drift)
