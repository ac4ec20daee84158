"""The IOS personality without SSH: config grammar, show outputs, exec command parsing."""

from __future__ import annotations

import re

import pytest
from prisme_drift_lab import LabDevice
from prisme_drift_lab.ios import IosShell, match_command, uptime_text
from prisme_drift_lab.ios_config import (
    canonical_interface,
    expand_range,
    parse_config,
    vlan_set,
    vlan_spec,
)
from prisme_drift_lab.personality import OutputKind
from prisme_drift_lab.tree import render


@pytest.fixture
def device() -> LabDevice:
    return LabDevice(name="sw01")


def block(config: str, header: str) -> list[str]:
    """Child lines of a top-level block."""
    node = next(n for n in parse_config(config) if n.text == header)
    return [c.text for c in node.children]


def test_template_is_a_realistic_switch_and_round_trips(device: LabDevice) -> None:
    config = device.running_config()
    assert render(parse_config(config)) == config
    assert config.startswith("version 15.2\n") and config.endswith("\nend\n")
    for line in (
        "hostname sw01",
        "ip domain name clinic.local",
        "vlan 99",
        "line vty 0 4",
        "ip access-list standard MGMT-ONLY",
        "banner motd ^C",
        "ntp server 10.99.0.1",
    ):
        assert f"\n{line}\n" in config
    assert "{" not in config
    assert LabDevice(name="x", config="hostname x\nend").running_config() == "hostname x\nend\n"


def test_single_valued_lines_replace_and_others_append(device: LabDevice) -> None:
    device.configure(
        [
            "interface GigabitEthernet1/0/1",
            " description Panoramique",
            " switchport access vlan 10",
            " ip helper-address 10.0.0.1",
            " ip helper-address 10.0.0.2",
            "vlan 20",
            " name RADIO",
        ]
    )
    config = device.running_config()
    port = block(config, "interface GigabitEthernet1/0/1")
    assert port[:2] == ["description Panoramique", "switchport access vlan 10"]
    assert port.count("ip helper-address 10.0.0.1") == 1 and "ip helper-address 10.0.0.2" in port
    assert block(config, "vlan 20") == ["name RADIO"]


def test_no_removes_lines_and_stores_ios_negations(device: LabDevice) -> None:
    device.configure(
        [
            "interface Gi1/0/8",
            "no description",
            "no shutdown",
            "interface Vlan99",
            "no ip address",
            "exit",
            "no logging host 10.99.0.50",
            "no service password-encryption",
            "no cdp run",
        ]
    )
    config = device.running_config()
    assert block(config, "interface GigabitEthernet1/0/8") == [
        "switchport access vlan 10",
        "switchport mode access",
    ]
    assert block(config, "interface Vlan99") == ["description Management", "no ip address"]
    assert "logging host" not in config and "service password-encryption" not in config
    assert "\nno cdp run\n" in config
    device.configure(["interface Vlan99", "ip address 10.99.0.2 255.255.255.0"])
    assert block(device.running_config(), "interface Vlan99")[1:] == [
        "ip address 10.99.0.2 255.255.255.0"
    ]


def test_global_command_under_an_interface_leaves_the_interface(device: LabDevice) -> None:
    with pytest.raises(ValueError, match="description"):  # global now: IOS refuses it too
        device.configure(
            [
                "interface GigabitEthernet1/0/3",
                "ip route 10.1.0.0 255.255.0.0 10.99.0.9",
                "description still global?",
            ]
        )
    config = device.running_config()
    assert "description still global?" not in config
    assert "ip route 10.1.0.0 255.255.0.0 10.99.0.9" not in block(
        config, "interface GigabitEthernet1/0/3"
    )
    lines = config.splitlines()
    assert (
        lines.index("ip route 10.1.0.0 255.255.0.0 10.99.0.9")
        == lines.index("ip route 0.0.0.0 0.0.0.0 10.99.0.1") + 1
    )


def test_submode_lines_are_refused_at_global_level(device: LabDevice) -> None:
    with pytest.raises(ValueError, match="switchport"):
        device.configure(["switchport access vlan 20", "hostname sw01-new"])
    assert "\nhostname sw01-new\n" in device.running_config()  # the valid line still applied
    with pytest.raises(ValueError, match="physical"):
        device.configure(["no interface GigabitEthernet1/0/1"])


def test_new_blocks_land_next_to_their_siblings(device: LabDevice) -> None:
    device.configure(
        [
            "interface GigabitEthernet1/0/12",
            "description new",
            "interface Vlan20",
            "ip address 10.20.0.1 255.255.255.0",
            "ip access-list extended GUEST",
            "deny ip any 10.0.0.0 0.255.255.255",
            "permit ip any any",
        ]
    )
    headers = [n.text for n in parse_config(device.running_config()) if n.children]
    itfs = [h for h in headers if h.startswith("interface ")]
    assert (
        itfs.index("interface GigabitEthernet1/0/12")
        == itfs.index("interface GigabitEthernet1/0/8") + 1
    )
    assert itfs[-3:] == ["interface Vlan1", "interface Vlan20", "interface Vlan99"]
    assert headers.index("ip access-list extended GUEST") < headers.index("line con 0")


def test_nested_modes_range_and_trunk_lists(device: LabDevice) -> None:
    device.configure(
        [
            "policy-map VOIP",
            "class VOICE",
            "priority percent 30",
            "exit",
            "exit",
            "interface range Gi1/0/1 - 2, Gi1/0/4",
            "description Bloc",
            "exit",
            "interface GigabitEthernet1/0/25",
            "switchport trunk allowed vlan add 40",
            "switchport trunk allowed vlan remove 99",
        ]
    )
    config = device.running_config()
    assert "policy-map VOIP\n class VOICE\n  priority percent 30\n" in config
    for port in ("1/0/1", "1/0/2", "1/0/4"):
        assert "description Bloc" in block(config, f"interface GigabitEthernet{port}")
    assert "description Poste accueil" in block(config, "interface GigabitEthernet1/0/3")
    assert "switchport trunk allowed vlan 10,20,30,40" in block(
        config, "interface GigabitEthernet1/0/25"
    )


def test_banner_and_hostname_change_the_prompt(device: LabDevice) -> None:
    shell = IosShell(device, "admin")
    shell.handle_line("conf t")
    assert shell.prompt() == "sw01(config)#"
    assert "End with the character '#'" in shell.handle_line("banner motd #").output
    shell.handle_line("Maintenance ce soir")
    shell.handle_line("#")
    shell.handle_line("hostname sw01-bis")
    assert shell.prompt() == "sw01-bis(config)#"
    shell.handle_line("interface gi1/0/2")
    assert shell.prompt() == "sw01-bis(config-if)#"
    assert shell.handle_line("do show run | i ^hostname").output == "hostname sw01-bis"
    shell.handle_line("end")
    assert shell.prompt() == "sw01-bis#"
    assert "banner motd ^C\nMaintenance ce soir\n^C\n" in device.running_config()
    assert "Maintenance ce soir" in shell.greeting()


def test_show_running_config_header_changes_on_every_call(device: LabDevice) -> None:
    shell = IosShell(device, "admin")
    first, second = shell.handle_line("show running-config"), shell.handle_line("sh run")
    assert first.kind is OutputKind.RUNNING_CONFIG
    header = first.output.split("\n")
    assert header[:3] == [
        "Building configuration...",
        "",
        f"Current configuration : {len(device.running_config().encode())} bytes",
    ]
    assert header[4].startswith("! Last configuration change at ")
    assert header[4].endswith(" by admin")
    assert first.output != second.output
    assert first.output.endswith(device.running_config())
    interface = shell.handle_line("show running-config interface Gi1/0/1").output
    assert re.search(
        r"!\ninterface GigabitEthernet1/0/1\n description .*\n.*end\n$", interface, flags=re.S
    )


def test_show_version_parses_like_napalm_expects(device: LabDevice) -> None:
    output = IosShell(device, "admin").handle_line("show version").output
    assert (
        "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8," in output
    )
    assert re.search(r"^sw01 uptime is \d+ (week|day)", output, flags=re.M)
    assert f"Processor board ID {device.serial}\n" in output
    model = re.search(r"Cisco (.+?) .+bytes of", output, flags=re.IGNORECASE)
    assert model is not None and model.group(1) == "WS-C2960X-24PS-L"


def test_exec_parser_abbreviations_privilege_and_errors(device: LabDevice) -> None:
    found = match_command(["sh", "ip", "int", "br"], privileged=True)
    assert found.command is not None and found.command.words[-1] == "brief"
    assert match_command(["co"], privileged=True).ambiguous
    assert match_command(["show", "i"], privileged=True).ambiguous
    assert match_command(["show"], privileged=True).incomplete
    assert match_command(["show", "running-config"], privileged=False).command is None
    shell = IosShell(device, "admin")
    assert shell.handle_line("wr").output == "Building configuration...\n[OK]"
    assert shell.handle_line("terminal length 0").output == ""
    assert shell.handle_line("exit").close


def test_small_helpers() -> None:
    assert canonical_interface("gi1/0/5") == "GigabitEthernet1/0/5"
    assert canonical_interface("Po1") == "Port-channel1"
    assert canonical_interface("te1/1/1") == "TenGigabitEthernet1/1/1"
    assert expand_range("Gi1/0/1 - 3, Fa0") == [
        "GigabitEthernet1/0/1",
        "GigabitEthernet1/0/2",
        "GigabitEthernet1/0/3",
        "FastEthernet0",
    ]
    assert vlan_spec(vlan_set("10,20,30-32")) == "10,20,30-32"
    assert vlan_spec(vlan_set("1-4094") - {30}) == "1-29,31-4094"
    assert uptime_text(3600 * 24 * 9 + 60) == "1 week, 2 days, 1 minute"
