"""The FortiOS personality: Netmiko's real ``fortinet`` driver, then the config grammar alone."""

from __future__ import annotations

import re

import pytest
from netmiko import NetmikoAuthenticationException
from prisme_drift_lab import LabDevice
from prisme_drift_lab.fortios import FortiosShell
from prisme_drift_lab.fortios_config import decrypt, parse_config, render_config
from prisme_drift_lab.personality import OutputKind

from .conftest import Connector, LabFactory

pytestmark = pytest.mark.lab

ENC = re.compile(r"ENC (?!SH2)\S+")
HEADER = (
    r"#config-version=FGT60F-7\.2\.8-FW-build1639-240313:opmode=0:vdom=0:user=admin",
    r"#conf_file_ver=\d+",
    r"#buildno=1639",
    r"#global_vdom=1",
)


def masked(text: str) -> str:
    """Config text with the re-salted secrets blanked out."""
    return ENC.sub("ENC <secret>", text)


def block(config: str, path: str, entry: str | None = None) -> list[str]:
    """The ``set`` lines of a top-level block, or of one entry of a table."""
    node = next(n for n in parse_config(config) if n.text == f"config {path}")
    if entry is not None:
        node = next(c for c in node.children if c.text == f"edit {entry}")
    return [c.text for c in node.children]


@pytest.fixture
def fw01(lab_factory: LabFactory) -> LabDevice:
    device = LabDevice(name="fw01", platform="fortinet")
    lab_factory(device)
    return device


@pytest.fixture
def shell() -> FortiosShell:
    return FortiosShell(LabDevice(name="fw01", platform="fortinet"), "admin")


# -- over SSH, with Netmiko's fortinet driver -----------------------------------------------------


def test_netmiko_prepares_the_session_and_reads_system_status(
    fw01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(fw01)
    assert conn.find_prompt() == "fw01 #"
    assert conn._vdoms is False and conn._os_version == "v7_or_later"
    status = conn.send_command("get system status")
    lines = status.splitlines()
    assert lines[0] == "Version: FortiGate-60F v7.2.8,build1639,240313 (GA.M)"
    assert f"Serial-Number: {fw01.serial}" in lines
    assert "Hostname: fw01" in lines
    assert re.fullmatch(r"FGT60FTK\d{8}", fw01.serial)
    assert conn.send_command("get system status | grep -i hostname").strip() == "Hostname: fw01"


def test_show_prints_the_header_then_the_config(
    fw01: LabDevice, netmiko_connect: Connector
) -> None:
    output = netmiko_connect(fw01).send_command("show")
    lines = output.splitlines()
    for pattern, line in zip(HEADER, lines, strict=False):
        assert re.fullmatch(pattern, line), line
    assert lines[4] == "config system global" and lines[-1] == "end"
    assert "config firewall policy" in lines
    assert masked(output.split("\n", 4)[4].rstrip() + "\n") == masked(fw01.running_config())
    full = netmiko_connect(fw01).send_command("show full-configuration")
    assert all(re.fullmatch(p, ln) for p, ln in zip(HEADER, full.splitlines(), strict=False))
    assert "    set baudrate 9600" in full and "        set status enable" in full
    assert len(full) > len(output)


def test_an_unchanged_firewall_differs_only_in_its_secrets(
    fw01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(fw01)
    fetches = [conn.send_command("show") for _ in range(10)]
    assert len(set(fetches)) == 10  # FortiOS re-encrypts every ENC secret at each display
    assert len({masked(f) for f in fetches}) == 1
    first, second = fetches[0].splitlines(), fetches[1].splitlines()
    changed = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert changed and all("ENC " in a and "ENC " in b for a, b in changed)
    assert all(decrypt(a.split()[-1]) == decrypt(b.split()[-1]) is not None for a, b in changed)
    assert sum("set password ENC SH2" in line for line in first) == 1  # hashes stay as they are
    assert "set password ENC SH2" not in "".join(a for a, _ in changed)


def test_config_set_adds_a_policy_and_a_port_forward(
    fw01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(fw01)
    before = conn.send_command("show | grep conf_file_ver").strip()
    output = conn.send_config_set(
        [
            "config firewall vip",
            'edit "pano-ssh"',
            "set extip 203.0.113.10",
            "set mappedip 192.168.20.11",
            "set extintf wan1",
            "set portforward enable",
            "set extport 2222",
            "set mappedport 22",
            "next",
            "end",
            "config firewall policy",
            "edit 4",
            'set name "WAN-to-Pano"',
            "set srcintf wan1",
            "set dstintf imaging",
            "set action accept",
            "set srcaddr all",
            "set dstaddr pano-ssh",
            "set schedule always",
            "set service SSH",
            "next",
            "end",
        ]
    )
    assert "fw01 (policy) # edit 4" in output and "new entry '4' added" in output
    assert "Command fail" not in output
    assert conn.find_prompt() == "fw01 #"
    running = fw01.running_config()
    policy = block(running, "firewall policy", "4")
    assert policy[0] == 'set name "WAN-to-Pano"' and policy[1].startswith("set uuid ")
    assert 'set dstaddr "pano-ssh"' in policy and 'set service "SSH"' in policy
    vip = block(running, "firewall vip", '"pano-ssh"')
    assert 'set mappedip "192.168.20.11"' in vip and "set extport 2222" in vip
    after = conn.send_command("show | grep conf_file_ver").strip()
    assert before != after and re.fullmatch(r"#conf_file_ver=\d+", after)
    assert "edit 4" in conn.send_command("show firewall policy 4")


def test_netmiko_switches_output_to_standard_and_back(
    lab_factory: LabFactory, netmiko_connect: Connector
) -> None:
    template = LabDevice(name="fw02", platform="fortinet").running_config()
    config = template.replace("config system console\n    set output standard\nend\n", "")
    device = LabDevice(name="fw02", platform="fortinet", config=config)
    lab_factory(device)
    conn = netmiko_connect(device)
    assert conn._original_output_mode == "more"
    assert block(device.running_config(), "system console") == ["set output standard"]
    conn.disconnect()  # sends "set output more" back, waiting for each prompt
    assert device.revision == 2
    assert device.running_config() == config  # "set output more" is the default: not shown


def test_wrong_password_is_refused(fw01: LabDevice, netmiko_connect: Connector) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        netmiko_connect(fw01, password="nope")


# -- the CLI without SSH --------------------------------------------------------------------------


def test_template_round_trips_and_is_a_dental_clinic_firewall() -> None:
    device = LabDevice(name="fw01", platform="fortinet")
    config = device.running_config()
    assert render_config(parse_config(config)) == config
    assert config.startswith("config system global\n") and config.endswith("end\n")
    assert '    set hostname "fw01"\n' in config
    assert "        set vlanid 20\n" in config and "        set portforward enable\n" in config
    assert config.count("set passphrase ENC ") == 2 and "{" not in config
    assert device.snapshot()["os_version"] == "7.2.8"


def test_prompts_follow_the_context(shell: FortiosShell) -> None:
    assert shell.prompt() == "\nfw01 # "
    assert shell.handle_line("config system dhcp server").output == ""
    assert shell.prompt().endswith("fw01 (server) # ")
    shell.handle_line("edit 1")
    shell.handle_line("config ip-range")
    shell.handle_line("edit 2")
    assert shell.prompt().endswith("fw01 (2) # ")
    shell.handle_line("set start-ip 192.168.10.220")
    shell.handle_line("set end-ip 192.168.10.229")
    shell.handle_line("next")
    assert shell.prompt().endswith("fw01 (ip-range) # ")
    shell.handle_line("end")
    assert shell.prompt().endswith("fw01 (1) # ")
    shell.handle_line("end")
    assert shell.prompt() == "\nfw01 # "
    ranges = shell.handle_line("show system dhcp server 1").output
    assert "            edit 2\n                set start-ip 192.168.10.220\n" in ranges
    shell.handle_line("config system global")
    shell.handle_line("set hostname FW-CABINET")
    assert shell.prompt().endswith("fw01 (global) # ")  # committed at "end" only
    shell.handle_line("end")
    assert shell.prompt() == "\nFW-CABINET # "
    assert 'set hostname "FW-CABINET"' in shell.device.running_config()


def test_delete_move_unset_append_and_abort(shell: FortiosShell) -> None:
    device = shell.device
    device.configure(
        [
            "config firewall policy",
            "move 3 before 1",
            "delete 2",
            "edit 1",
            "unset logtraffic",
            "append srcaddr imaging-server",
            "set action accept",
            "next",
            "end",
        ]
    )
    running = device.running_config()
    ids = [
        c.text
        for n in parse_config(running)
        if n.text == "config firewall policy"
        for c in n.children
    ]
    assert ids == ["edit 3", "edit 1"]
    policy = block(running, "firewall policy", "1")
    assert 'set srcaddr "lan-cabinet" "imaging-server"' in policy
    assert not any(line.startswith("set logtraffic") for line in policy)
    for line in ("config firewall address", 'edit "lan-cabinet"', "set comment temp", "abort"):
        shell.handle_line(line)
    assert "temp" not in device.running_config() and not shell.session.frames
    shell.handle_line("config firewall policy")
    assert shell.handle_line("edit 0").output == "new entry '4' added"
    shell.handle_line("set action deny")  # the default: FortiOS does not show it
    shell.handle_line("end")
    assert block(device.running_config(), "firewall policy", "4")[0].startswith("set uuid ")
    assert all(
        "action" not in line for line in block(device.running_config(), "firewall policy", "4")
    )


def test_errors_are_fortios_parse_errors(shell: FortiosShell) -> None:
    fail = "Command fail. Return code -61"
    assert shell.handle_line("foo bar").output == f"command parse error before 'foo'\n{fail}"
    assert shell.handle_line("config global").output.startswith(
        "command parse error before 'global'"
    )
    assert shell.handle_line("config firewall bogus").output.startswith("command parse error")
    assert shell.handle_line("show firewall bogus").output.startswith("command parse error")
    shell.handle_line("config system global")
    assert shell.handle_line("edit 1").output.startswith("command parse error before 'edit'")
    shell.handle_line("end")
    shell.handle_line("config firewall policy")
    assert shell.handle_line("set name x").output.startswith("command parse error before 'set'")
    deleted = shell.handle_line("delete 99").output
    assert deleted.startswith("entry not found in datasource") and deleted.endswith("-3")
    with pytest.raises(ValueError, match="parse error before 'nope'"):
        shell.device.configure(["config system global", "nope", "set timezone 04", "end"])
    assert "set timezone" not in "".join(block(shell.device.running_config(), "system global"))


def test_show_get_and_grep(shell: FortiosShell) -> None:
    show = shell.handle_line("show")
    assert show.kind is OutputKind.RUNNING_CONFIG
    policy = shell.handle_line("show firewall policy 3")
    assert policy.kind is OutputKind.SHOW
    assert policy.output.startswith("config firewall policy\n    edit 3\n")
    assert policy.output.endswith("    next\nend\n")
    console = shell.handle_line("get system console").output
    assert re.search(r"^output\s+: standard$", console, flags=re.M)
    assert "baudrate            : 9600" in console
    assert shell.handle_line("show | grep -c 'edit '").output == "22"
    context = shell.handle_line("show firewall vip | grep -A 1 extip").output
    assert context.splitlines() == [
        "        set extip 203.0.113.10",
        '        set mappedip "192.168.20.10"',
    ]
    assert "Uptime:" in shell.handle_line("get system performance status").output
    assert "== [ wan1 ]" in shell.handle_line("get system interface").output
    shell.handle_line("config wireless-controller vap")
    shell.handle_line('edit "staff-ssid"')
    assert "passphrase          : *" in shell.handle_line("get").output
    assert shell.handle_line("show").output.startswith(
        'config wireless-controller vap\n    edit "staff-ssid"\n'
    )
