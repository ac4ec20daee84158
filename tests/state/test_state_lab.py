"""Structured state over real SSH on the demo clinic: getters, extractors, git, deepdiff."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import make_url

import prisme_drift.poll.state as poll_state
from prisme_drift.baseline import APPROVED, OBSERVED
from prisme_drift.demo import technician_change
from prisme_drift.models import PollReport
from prisme_drift.poll import run_poll
from prisme_drift.state.refresh import REFRESH_FILE
from prisme_drift.state.store import device_state_changes, load_site_state
from prisme_drift.timefmt import utcnow
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

#: What the state getters type on IOS and the configuration poll never does.
GETTER_COMMANDS = {
    "show interfaces",
    "show ip interface",
    "show ipv6 interface",
    "show vlan all-ports",
    "show lldp neighbors detail",
    "show cdp neighbors detail",
    "diagnose lldprx neighbor summary",
    "/ip neighbor print detail without-paging",
}


def git(site: LabSite, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.settings.baseline_path), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def changes(report: PollReport, device: str) -> list[dict[str, Any]]:
    return [c for d in report.devices if d.name == device for c in d.state_changes]


def messages(report: PollReport, device: str) -> set[tuple[str, str]]:
    return {(c["message"], c["path"]) for c in changes(report, device)}


def test_first_poll_stores_every_device_state(clinic: LabSite) -> None:
    report = run_poll(clinic.settings, deliver=False)
    assert report.exit_code == 0
    states = load_site_state(clinic.settings)
    assert sorted(states) == ["fw-cabinet", "rt-wan", "sw-accueil", "sw-imagerie"]
    sw = states["sw-accueil"]
    assert sw.facts.serial == clinic.device("sw-accueil").serial
    assert sw.sources["neighbors"] == "getter:get_lldp_neighbors_detail"
    assert {(n.local_port, n.remote_name, n.remote_port) for n in sw.neighbors} == {
        ("GigabitEthernet1/0/24", "sw-imagerie", "Gi1/0/25"),
        ("GigabitEthernet1/0/25", "fw-cabinet", "internal"),
    }
    assert {v.id for v in sw.vlans} >= {10, 20, 30, 99}
    telnet = [m for m in sw.management if m.protocol == "telnet"]
    assert telnet and telnet[0].enabled
    fw = states["fw-cabinet"]
    any_any = [p for p in fw.firewall_policies if p.src == ["all"] and p.dst == ["all"]]
    assert any_any and any_any[0].log is False and any_any[0].service == ["ALL"]
    assert {(p.external_port, p.internal_ip) for p in fw.port_forwards} == {
        ("443", "192.168.20.10")
    }
    assert {s.name: s.security for s in fw.ssids} == {
        "Cabinet-Staff": "wpa2-psk",
        "Cabinet-Patients": "wpa2-psk",
    }
    assert {(n.local_port, n.remote_name) for n in fw.neighbors} == {
        ("internal", "sw-accueil"),
        ("wan1", "rt-wan"),
    }
    assert fw.sources["neighbors"] == "command:diagnose lldprx neighbor summary"
    rt = states["rt-wan"]
    assert [(n.local_port, n.remote_name, n.remote_port) for n in rt.neighbors] == [
        ("ether2", "fw-cabinet", "wan1")
    ]
    assert rt.facts.vendor == "MikroTik" and rt.port_forwards[0].internal_ip == "192.168.20.10"
    assert load_site_state(clinic.settings, APPROVED) == states
    assert "sw-accueil.state.json" in git(clinic, "ls-tree", "-r", "--name-only", OBSERVED)


def test_unchanged_poll_sends_no_getter_command_and_commits_nothing(clinic: LabSite) -> None:
    run_poll(clinic.settings, deliver=False)
    head = git(clinic, "rev-parse", OBSERVED)
    seen = {d.name: len(d.commands()) for d in clinic.lab.devices}
    report = run_poll(clinic.settings, deliver=False)
    assert {str(d.status) for d in report.devices} == {"unchanged"}
    for device in clinic.lab.devices:
        typed = device.commands()[seen[device.name] :]
        assert not GETTER_COMMANDS & set(typed), device.name
    assert git(clinic, "rev-parse", OBSERVED) == head
    forced = run_poll(clinic.settings, deliver=False, state=True)  # run --state
    assert any(
        c.startswith("show lldp")
        for c in clinic.device("sw-accueil").commands()[seen["sw-accueil"] :]
    )
    assert forced.commit is None  # nothing new in the network: nothing committed
    mark = len(clinic.device("sw-imagerie").commands())
    run_poll(clinic.settings, deliver=False, trigger="window-CHG-1-start")  # a window edge
    assert "show lldp neighbors detail" in clinic.device("sw-imagerie").commands()[mark:]


def test_changes_made_over_ssh_become_structured_changes(clinic: LabSite) -> None:
    run_poll(clinic.settings, deliver=False)
    imagerie = clinic.device("sw-imagerie")
    technician_change(
        "cisco_ios",
        imagerie.port,
        clinic.password,
        [
            "vlan 40",
            " name CFAO-TEMP",
            "exit",
            "interface GigabitEthernet1/0/3",
            " switchport access vlan 40",
            "exit",
            "interface Vlan99",
            " ip address 10.99.0.250 255.255.255.0",
            "exit",
            "interface GigabitEthernet1/0/25",
            " shutdown",
            "exit",
        ],
    )
    report = run_poll(clinic.settings, deliver=False)
    found = messages(report, "sw-imagerie")
    assert ("state.vlans.added", "vlans[40]") in found
    assert (
        "state.interfaces.access_vlan.changed",
        "interfaces[GigabitEthernet1/0/3].access_vlan",
    ) in found
    assert ("state.interfaces.addresses.changed", "interfaces[Vlan99].addresses") in found
    assert ("state.neighbors.removed", "neighbors[GigabitEthernet1/0/25 sw-accueil]") in found
    access = next(c for c in changes(report, "sw-imagerie") if c["path"].endswith("access_vlan"))
    assert (access["before"], access["after"]) == (10, 40)
    # unauthorized: approved did not move, so approved -> observed tells the same story
    drift = {(c.message, c.path) for c in device_state_changes(clinic.settings, "sw-imagerie")}
    assert ("state.vlans.added", "vlans[40]") in drift
    # the far end sees the cable go dark too (its configuration did not change: the daily
    # refresh or run --state finds it)
    later = run_poll(clinic.settings, deliver=False, state=True)
    assert ("state.neighbors.removed", "neighbors[GigabitEthernet1/0/24 sw-imagerie]") in messages(
        later, "sw-accueil"
    )


def test_swapped_device_is_a_serial_change(clinic: LabSite) -> None:
    """Facts are asked once a day while the configuration stays the same (``poll.facts``): a
    device swapped under the same configuration shows at the daily refresh (or ``run --state``)."""
    run_poll(clinic.settings, deliver=False)
    clinic.device("sw-accueil").serial = "FOC9999Z9ZZ"
    quiet = run_poll(clinic.settings, deliver=False)  # unchanged configuration: facts not asked
    assert not [c for c in changes(quiet, "sw-accueil") if c["path"] == "facts.serial"]
    stamps = clinic.settings.state_path / REFRESH_FILE
    day_ago = (utcnow() - timedelta(hours=25)).isoformat()
    stamps.write_text(json.dumps({**json.loads(stamps.read_text()), "sw-accueil": day_ago}))
    report = run_poll(clinic.settings, deliver=False)
    serial = [c for c in changes(report, "sw-accueil") if c["path"] == "facts.serial"]
    assert serial and serial[0]["message"] == "state.facts.serial.changed"
    assert serial[0]["after"] == "FOC9999Z9ZZ"


def test_a_getter_that_raises_leaves_the_poll_ok_and_cdp_stands_in(clinic: LabSite) -> None:
    run_poll(clinic.settings, deliver=False)
    accueil = clinic.device("sw-accueil")
    typed = len(accueil.commands())
    assert "show cdp neighbors detail" not in accueil.commands()  # LLDP worked: no CDP
    accueil.fault = "broken_lldp"  # NAPALM: "LLDP neighbor count has changed"
    report = run_poll(clinic.settings, deliver=False, state=True)
    assert {str(d.status) for d in report.devices} == {"unchanged"} and report.exit_code == 0
    assert "show cdp neighbors detail" in accueil.commands()[typed:]
    assert not [c for c in changes(report, "sw-accueil") if c["section"] == "neighbors"]
    state = load_site_state(clinic.settings)["sw-accueil"]
    assert state.sources["neighbors"] == "command:show cdp neighbors detail"
    assert state.errors["get_lldp_neighbors_detail"].startswith("ValueError: LLDP neighbor count")
    # CDP only hears the Cisco neighbor
    assert [(n.remote_name, n.protocol) for n in state.neighbors] == [("sw-imagerie", "cdp")]
    assert state.neighbors[0].local_port == "GigabitEthernet1/0/24"


def test_a_getter_that_fails_on_the_first_poll_falls_back_to_cdp(clinic: LabSite) -> None:
    clinic.device("sw-imagerie").fault = "broken_lldp"
    report = run_poll(clinic.settings, deliver=False)
    assert str(next(d for d in report.devices if d.name == "sw-imagerie").status) == "ok"
    state = load_site_state(clinic.settings)["sw-imagerie"]
    # CDP hears the other switch; a neighbor only LLDP could hear would be unknown, not absent
    assert state.sources["neighbors"] == "command:show cdp neighbors detail"
    assert [n.remote_name for n in state.neighbors] == ["sw-accueil"]
    assert state.errors["get_lldp_neighbors_detail"].startswith("ValueError: LLDP neighbor count")


def test_no_lab_secret_in_any_state_file(clinic: LabSite) -> None:
    run_poll(clinic.settings, deliver=False)
    history = git(clinic, "log", "-p", "--all", "--", "*.state.json")
    assert "state.json" in history
    plain = [
        "Cl1n1cR0",  # IOS SNMP community
        "clinique-ro",  # FortiOS and RouterOS SNMP community
        "Sourire-Staff-2024",
        "Bienvenue-Patients",
        "Cabinet-Admin-2024!",
        clinic.password,
    ]
    for secret in plain:
        assert secret not in history, secret


def test_a_getter_that_returns_nothing_on_a_refused_command_is_an_error(clinic: LabSite) -> None:
    run_poll(clinic.settings, deliver=False)
    clinic.device("sw-imagerie").fault = "broken_show"  # every show but the config is refused
    report = run_poll(clinic.settings, deliver=False, state=True)
    assert report.exit_code == 0
    state = load_site_state(clinic.settings)["sw-imagerie"]
    assert state.errors["get_vlans"] == "device refused: show vlan all-ports"
    assert state.sources["vlans"] == "config"  # the configuration still tells the VLANs
    assert {v.id for v in state.vlans} == {10, 20, 30, 99}
    # LLDP gave nothing while refused, CDP is refused too: neighbors carried from the last state
    assert state.sources["neighbors"] == "carried" and len(state.neighbors) == 1
    assert "show cdp neighbors detail" in state.errors
    assert not [c for c in changes(report, "sw-imagerie") if c["kind"] == "removed"]


def test_state_sessions_hold_no_database_transaction(
    clinic: LabSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Getters wait on the network: meanwhile another process must be able to write."""
    run_poll(clinic.settings, deliver=False)
    real = poll_state.collect_getters
    database = make_url(clinic.settings.database_url).database
    assert database is not None
    seen: list[list[str]] = []

    def write_then_collect(*args: Any) -> Any:
        other = sqlite3.connect(database, timeout=0)  # fails at once if the poll holds a lock
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        finally:
            other.close()
        seen.append(sorted(args[2]))
        return real(*args)

    monkeypatch.setattr(poll_state, "collect_getters", write_then_collect)
    report = run_poll(clinic.settings, deliver=False, state=True)
    assert seen == [["fw-cabinet", "rt-wan", "sw-accueil", "sw-imagerie"]]
    assert report.exit_code == 0
