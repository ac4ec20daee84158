"""The real NAPALM ios and Netmiko cisco_ios drivers against the lab's SSH servers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from netmiko import NetmikoAuthenticationException
from prisme_drift_lab import Lab, LabDevice

from .conftest import Connector, LabFactory

pytestmark = pytest.mark.lab

NapalmOpen = Callable[..., Any]


def _block(config: str, header: str) -> list[str]:
    """The child lines of a top-level block of an IOS config."""
    lines = config.splitlines()
    start = lines.index(header)
    children: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        children.append(line.strip())
    return children


def test_napalm_get_config_returns_the_running_config(
    sw01: LabDevice, napalm_open: NapalmOpen
) -> None:
    configs = napalm_open(sw01).get_config()
    running = configs["running"]
    assert running.splitlines()[-1] == "end"
    assert "hostname sw01\n" in running
    assert running.endswith(sw01.running_config().strip())
    assert "Building configuration" not in running
    assert configs["startup"].endswith(sw01.startup_config().strip())


def test_napalm_get_facts_reports_the_device_identity(
    lab_factory: LabFactory, napalm_open: NapalmOpen
) -> None:
    device = LabDevice(
        name="core-sw", serial="FOC9999Z1AB", model="WS-C2960X-48FPD-L", os_version="15.2(4)E10"
    )
    lab_factory(device)
    facts = napalm_open(device).get_facts()
    assert facts["hostname"] == "core-sw"
    assert facts["serial_number"] == "FOC9999Z1AB"
    assert facts["model"] == "WS-C2960X-48FPD-L"
    assert "Version 15.2(4)E10," in facts["os_version"]
    assert facts["fqdn"] == "core-sw.clinic.local"
    assert facts["vendor"] == "Cisco"
    assert facts["uptime"] > 3 * 24 * 3600
    assert {"GigabitEthernet1/0/1", "GigabitEthernet1/0/25", "Vlan99"} <= set(
        facts["interface_list"]
    )


def test_netmiko_config_set_changes_the_running_config(
    sw01: LabDevice, netmiko_connect: Connector, napalm_open: NapalmOpen
) -> None:
    conn = netmiko_connect(sw01)
    output = conn.send_config_set(
        [
            "vlan 40",
            " name CFAO-TEMP",
            "exit",
            "interface GigabitEthernet1/0/5",
            " switchport access vlan 40",
        ]
    )
    assert "Invalid" not in output
    assert conn.find_prompt() == "sw01#"
    running = sw01.running_config()
    assert _block(running, "vlan 40") == ["name CFAO-TEMP"]
    port = _block(running, "interface GigabitEthernet1/0/5")
    assert "switchport access vlan 40" in port and "switchport access vlan 10" not in port
    # the new vlan sits between its siblings, as IOS shows it
    vlans = [line for line in running.splitlines() if line.startswith("vlan ")]
    assert vlans == ["vlan 10", "vlan 20", "vlan 30", "vlan 40", "vlan 99"]
    assert "vlan 40\n name CFAO-TEMP\n" in napalm_open(sw01).get_config("running")["running"]


def test_no_vlan_removes_the_whole_block(sw01: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(sw01)
    conn.send_config_set(["vlan 40", "name TEMP"])
    assert "vlan 40" in sw01.running_config().splitlines()
    conn.send_config_set(["no vlan 40"])
    running = sw01.running_config()
    assert "vlan 40" not in running.splitlines() and "name TEMP" not in running
    assert "!\n!\n" not in running.split("vlan 99")[0].split("vlan 30")[1]


def test_write_memory_updates_the_startup_config(
    sw01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(sw01)
    conn.send_config_set(["snmp-server location Baie 2"])
    assert "snmp-server location Baie 2" not in sw01.startup_config()
    assert "[OK]" in conn.save_config()
    assert sw01.startup_config() == sw01.running_config()
    startup = conn.send_command("show startup-config")
    assert re.match(r"Using \d+ out of 524288 bytes", startup)
    assert "snmp-server location Baie 2" in startup


def test_each_device_answers_with_its_own_hostname(
    lab_factory: LabFactory, netmiko_connect: Connector
) -> None:
    lab = lab_factory(*(LabDevice(name=n) for n in ("sw01", "sw02", "sw03")))
    ports = {d.port for d in lab.devices}
    assert len(ports) == 3
    for device in lab.devices:
        conn = netmiko_connect(device)
        assert conn.find_prompt() == f"{device.name}#"
        assert f"hostname {device.name}" in conn.send_command("show running-config")


def test_wrong_password_is_an_authentication_failure(
    sw01: LabDevice, netmiko_connect: Connector
) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        netmiko_connect(sw01, password="not-the-password")


def test_enable_secret_starts_in_user_exec(
    lab_factory: LabFactory, netmiko_connect: Connector, napalm_open: NapalmOpen
) -> None:
    device = LabDevice(name="sw09", enable_secret="en-secret")
    lab_factory(device)
    conn = netmiko_connect(device, secret="en-secret")
    assert conn.find_prompt() == "sw09>"
    assert "% Invalid input" in conn.send_command("show running-config")
    conn.enable()
    assert conn.find_prompt() == "sw09#"
    running = napalm_open(device, secret="en-secret").get_config("running")["running"]
    assert running.endswith("end")


def test_wrong_enable_secret_is_denied(lab_factory: LabFactory, netmiko_connect: Connector) -> None:
    device = LabDevice(name="sw09", enable_secret="en-secret")
    lab_factory(device)
    conn = netmiko_connect(device)
    conn.write_channel("enable\n")
    conn.read_until_pattern("Password: ")
    conn.write_channel("wrong\n")
    output = conn.read_until_pattern("sw09>")
    assert "wrong" not in output  # the secret is not echoed
    assert "% Access denied" in output


def test_unknown_command_gets_the_ios_caret(sw01: LabDevice, netmiko_connect: Connector) -> None:
    output = netmiko_connect(sw01).send_command("show foo", strip_prompt=False)
    lines = output.splitlines()
    assert lines[0] == " " * len("sw01#show ") + "^"
    assert lines[1] == "% Invalid input detected at '^' marker."


def test_abbreviations_and_filters(sw01: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(sw01)
    assert conn.send_command("sh run | i ^hostname") == "hostname sw01"
    brief = conn.send_command("sh ip int br")
    assert brief.splitlines()[0].startswith("Interface              IP-Address")
    assert "GigabitEthernet1/0/1" in brief
    section = conn.send_command("show running-config | section ^line vty 0 4")
    assert section.splitlines()[0] == "line vty 0 4"
    assert " transport input ssh" in section


def test_two_sessions_on_one_device_see_each_other(
    sw01: LabDevice, netmiko_connect: Connector
) -> None:
    first, second = netmiko_connect(sw01), netmiko_connect(sw01)
    first.config_mode()
    second.send_config_set(["interface Gi1/0/4", "description Poste praticien 2"])
    first.send_config_set(["interface GigabitEthernet1/0/6", "shutdown"], enter_config_mode=False)
    running = sw01.running_config()
    assert "description Poste praticien 2" in _block(running, "interface GigabitEthernet1/0/4")
    assert "shutdown" in _block(running, "interface GigabitEthernet1/0/6")


def test_programmatic_configure_uses_the_same_grammar(lab: Lab, napalm_open: NapalmOpen) -> None:
    device = lab.device("sw01")
    device.configure(
        [
            "interface GigabitEthernet1/0/2",
            " description Salle de radiologie é",
            "exit",
            "ip route 10.50.0.0 255.255.0.0 10.99.0.254",
        ]
    )
    running = napalm_open(device).get_config("running")["running"]
    assert " description Salle de radiologie é\n" in running
    assert "ip route 10.50.0.0 255.255.0.0 10.99.0.254\n" in running
    with pytest.raises(ValueError, match="description at global"):
        device.configure(["description at global level"])
