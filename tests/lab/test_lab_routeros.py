"""The RouterOS personality: Netmiko's real ``mikrotik_routeros`` driver, then the console alone."""

from __future__ import annotations

import re

import pytest
from netmiko import NetmikoAuthenticationException
from prisme_drift_lab import LabDevice
from prisme_drift_lab.personality import OutputKind
from prisme_drift_lab.routeros import RouterosShell
from prisme_drift_lab.routeros_config import parse_export, render_export, render_terse

from .conftest import Connector, LabFactory

pytestmark = pytest.mark.lab

IMAGING_NAT = (
    "/ip firewall nat add action=dst-nat chain=dstnat comment=imaging dst-port=443 "
    "in-interface-list=WAN protocol=tcp to-addresses=192.168.20.10 to-ports=443"
)


def section(config: str, path: str) -> list[str]:
    """The terse lines of one section, without their path."""
    return [line[len(path) + 1 :] for line in config.splitlines() if line.startswith(path + " ")]


@pytest.fixture
def rb01(lab_factory: LabFactory) -> LabDevice:
    device = LabDevice(name="rb01", platform="mikrotik_routeros")
    lab_factory(device)
    return device


@pytest.fixture
def shell() -> RouterosShell:
    return RouterosShell(LabDevice(name="rb01", platform="mikrotik_routeros"), "admin")


# -- over SSH, with Netmiko's mikrotik_routeros driver --------------------------------------------


def test_netmiko_logs_in_with_terminal_flags_and_exports(
    rb01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(rb01)
    assert conn.username == "admin+ct511w4098h"  # what Netmiko really sent
    assert conn.base_prompt == "[admin@rb01]"
    terse = conn.send_command("/export terse")
    lines = terse.splitlines()
    assert re.fullmatch(r"# \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by RouterOS 7\.16\.1", lines[0])
    assert re.fullmatch(r"# software id = \w{4}-\w{4}", lines[1])
    assert lines[2:5] == ["#", "# model = RB750Gr3", f"# serial number = {rb01.serial}"]
    assert IMAGING_NAT in lines
    assert "passphrase=" not in terse  # RouterOS 7 hides secrets unless show-sensitive
    sensitive = conn.send_command("/export terse show-sensitive")
    assert sensitive.split("\n", 5)[5].rstrip() + "\n" == rb01.running_config()
    assert "passphrase=Sourire-Staff-2024" in sensitive
    export = conn.send_command("/export")
    assert "/ip firewall nat\nadd action=masquerade chain=srcnat" in export
    assert all(len(line) <= 80 for line in export.splitlines())
    assert 'comment=\\\n    "defconf: accept established,related,untracked"' in export


def test_netmiko_adds_dst_nat_rules(rb01: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(rb01)
    output = conn.send_config_set(
        [
            "/ip firewall nat",
            "add chain=dstnat action=dst-nat protocol=tcp dst-port=8443 "
            'to-addresses=192.168.20.11 to-ports=443 comment="pano web"',
            "/",
        ]
    )
    assert "[admin@rb01] /ip/firewall/nat> add chain=dstnat" in output
    assert "bad command" not in output and "expected" not in output
    reply = conn.send_command(
        "/ip firewall nat add chain=dstnat action=dst-nat protocol=tcp dst-port=2222 "
        "to-addresses=192.168.20.12 to-ports=22 comment=ssh-pano place-before=0"
    )
    assert reply == ""
    nat = section(rb01.running_config(), "/ip firewall nat")
    assert nat[0].endswith(
        "comment=ssh-pano dst-port=2222 protocol=tcp to-addresses=192.168.20.12 to-ports=22"
    )
    assert nat[-1] == (
        'add action=dst-nat chain=dstnat comment="pano web" dst-port=8443 protocol=tcp '
        "to-addresses=192.168.20.11 to-ports=443"
    )
    assert conn.send_command("foo") == "bad command name foo (line 1 column 1)"


def test_routerboard_and_resource(rb01: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(rb01)
    board = conn.send_command("/system routerboard print")
    assert re.search(rf"^\s+serial-number: {rb01.serial}$", board, flags=re.M)
    assert re.search(r"^\s+model: RB750Gr3$", board, flags=re.M)
    assert re.search(r"^\s+current-firmware: 7\.16\.1$", board, flags=re.M)
    resource = conn.send_command("system resource print")
    assert re.search(r"^\s+version: 7\.16\.1 \(stable\)$", resource, flags=re.M)
    assert re.search(r"^\s*uptime: (\d+w)?\d+d(\d+h)?(\d+m)?\d+s$", resource, flags=re.M)
    assert re.fullmatch(r"HEX[0-9A-F]{8}", rb01.serial)


def test_wrong_password_is_refused(rb01: LabDevice, netmiko_connect: Connector) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        netmiko_connect(rb01, password="nope")


# -- the console without SSH ----------------------------------------------------------------------


def test_template_is_a_dental_clinic_router_and_round_trips() -> None:
    device = LabDevice(name="rb01", platform="mikrotik_routeros")
    config = device.running_config()
    parsed = parse_export(config)
    assert render_terse(parsed) == config
    assert parse_export(render_export(parsed)) == parsed  # wrapped lines read back the same
    assert IMAGING_NAT + "\n" in config
    for line in (
        '/interface vlan add comment="Imagerie CBCT" interface=bridge name=vlan20-imagerie '
        "vlan-id=20",
        "/ip service set telnet disabled=yes",
        "/system identity set name=rb01",
        '/ip firewall nat add action=masquerade chain=srcnat comment="defconf: masquerade" '
        "ipsec-policy=out,none out-interface-list=WAN",
    ):
        assert line in config.splitlines()
    given = LabDevice(name="x", platform="mikrotik_routeros", config=render_export(parsed))
    assert given.running_config() == config


def test_menus_prompts_and_edits(shell: RouterosShell) -> None:
    device = shell.device
    assert shell.prompt() == "[admin@rb01] > "
    shell.handle_line("/ip/firewall/nat")
    assert shell.prompt() == "[admin@rb01] /ip/firewall/nat> "
    shell.handle_line('set [find comment="imaging"] to-ports=8443')
    shell.handle_line("disable 0")
    shell.handle_line(".. filter")
    assert shell.prompt() == "[admin@rb01] /ip/firewall/filter> "
    shell.handle_line("move 6 destination=0")
    shell.handle_line('remove [find where comment~"invalid"]')
    shell.handle_line("/interface vlan add name=vlan30 vlan-id=30 interface=bridge")
    shell.handle_line("/ip service set telnet disabled=no")
    shell.handle_line("/system identity set name=rb-clinique")
    assert shell.prompt() == "[admin@rb-clinique] /ip/firewall/filter> "
    shell.handle_line("/")
    assert shell.prompt() == "[admin@rb-clinique] > "
    config = device.running_config()
    nat = section(config, "/ip firewall nat")
    assert nat[0].startswith("add action=masquerade chain=srcnat") and "disabled=yes" in nat[0]
    assert nat[1].endswith("to-ports=8443")
    filters = section(config, "/ip firewall filter")
    assert len(filters) == 6 and "teleradiologie" in filters[0]
    assert "add interface=bridge name=vlan30 vlan-id=30" in section(config, "/interface vlan")
    assert "set telnet disabled=yes" not in section(config, "/ip service")
    shell.handle_line("/ip firewall nat enable [find]")
    assert "disabled" not in "".join(section(device.running_config(), "/ip firewall nat"))
    shell.handle_line('/ip firewall nat remove [find comment="imaging"]')
    assert len(section(device.running_config(), "/ip firewall nat")) == 1
    shell.handle_line("/ip firewall nat remove 0")
    assert section(device.running_config(), "/ip firewall nat") == []
    assert "/ip firewall nat" not in shell.handle_line("/export").output


def test_console_errors(shell: RouterosShell) -> None:
    before = shell.device.running_config()
    assert shell.handle_line("foo").output == "bad command name foo (line 1 column 1)"
    assert shell.handle_line("/ip firewall nut print").output == (
        "bad command name nut (line 1 column 14)"
    )
    assert shell.handle_line("/ip firewall nat add chain=srcnat oops").output == (
        "expected end of command (line 1 column 35)"
    )
    assert shell.handle_line("/ip firewall nat remove 9").output == "no such item"
    assert shell.handle_line('/ip firewall nat add comment="open').output.startswith("syntax error")
    assert shell.handle_line("/ip service remove telnet").output.startswith("bad command name")
    assert shell.device.running_config() == before
    with pytest.raises(ValueError, match="no such item"):
        shell.device.configure(
            ["/ip firewall nat", "remove numbers=7", "/system identity set name=x"]
        )
    assert shell.prompt() == "[admin@x] > "  # the valid line still applied


def test_prints_and_abbreviations(shell: RouterosShell) -> None:
    nat = shell.handle_line("/ip fi nat pr")
    assert nat.kind is OutputKind.SHOW
    assert nat.output.splitlines()[1:3] == [
        " 0    ;;; defconf: masquerade",
        "      chain=srcnat action=masquerade ipsec-policy=out,none out-interface-list=WAN",
    ]
    assert shell.handle_line("/system identity print").output == "  name: rb01"
    assert shell.handle_line("/export").kind is OutputKind.RUNNING_CONFIG
    menu = shell.handle_line("/ip firewall export terse")
    assert menu.kind is OutputKind.SHOW
    body = [ln for ln in menu.output.splitlines() if not ln.startswith("#")]
    assert body and all(ln.startswith("/ip firewall ") for ln in body)
    assert shell.handle_line("/export file=backup").output == ""
    assert shell.handle_line("/quit").close
