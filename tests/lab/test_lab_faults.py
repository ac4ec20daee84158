"""Injected faults and byte-by-byte output."""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paramiko
import pytest
from netmiko import ReadTimeout
from paramiko.common import MSG_CHANNEL_DATA
from prisme_drift_lab import LabDevice

from .conftest import Connector, LabFactory

pytestmark = pytest.mark.lab

NapalmOpen = Callable[..., Any]


def test_truncate_cuts_the_running_config(sw01: LabDevice, napalm_open: NapalmOpen) -> None:
    sw01.fault = "truncate"
    running = napalm_open(sw01).get_config("running")["running"]
    assert running and not running.rstrip().endswith("end")
    full = sw01.running_config().count("\n")
    assert 0.25 * full < running.count("\n") < 0.5 * full


def test_error_answers_every_show_command_with_invalid_input(
    sw01: LabDevice, netmiko_connect: Connector
) -> None:
    conn = netmiko_connect(sw01)
    sw01.fault = "error"
    for command in ("show running-config", "show version", "show clock"):
        assert "% Invalid input detected at '^' marker." in conn.send_command(command)
    sw01.fault = None
    assert "hostname sw01" in conn.send_command("show running-config")


def test_empty_prints_no_running_config(sw01: LabDevice, napalm_open: NapalmOpen) -> None:
    sw01.fault = "empty"
    configs = napalm_open(sw01).get_config()
    assert configs["running"] == ""
    assert "hostname sw01" in configs["startup"]


def test_hang_never_answers_after_login(sw01: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(sw01)
    sw01.fault = "hang"
    started = time.monotonic()
    with pytest.raises(ReadTimeout):
        conn.send_command("show version", read_timeout=2, auto_find_prompt=False, cmd_verify=False)
    assert time.monotonic() - started < 5
    sw01.fault = None  # lets the fixture's disconnect finish quickly


def test_unknown_fault_is_refused(sw01: LabDevice) -> None:
    with pytest.raises(ValueError, match="hang"):
        sw01.fault = "slow"


@pytest.fixture
def packet_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the SSH CHANNEL_DATA packets that paramiko receives."""
    sizes: list[int] = []
    original = paramiko.Transport._channel_handler_table[MSG_CHANNEL_DATA]

    def record(channel: paramiko.Channel, message: paramiko.Message) -> None:
        data = message.get_binary()
        sizes.append(len(data))
        original(channel, data)

    monkeypatch.setitem(paramiko.Transport._channel_handler_table, MSG_CHANNEL_DATA, record)
    return sizes


def _read_until(channel: paramiko.Channel, marker: bytes, timeout: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        assert time.monotonic() < deadline, data
        if channel.recv_ready():
            data += channel.recv(65536)
        else:
            time.sleep(0.01)
    return data


def test_byte_by_byte_splits_utf8_characters(sw01: LabDevice, packet_sizes: list[int]) -> None:
    description = "Salle de radiologie éèà ✓"
    sw01.configure(["interface GigabitEthernet1/0/2", f" description {description}"])
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=sw01.port,
        username="admin",
        password="lab-pass",
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        channel = client.invoke_shell(width=511)
        _read_until(channel, b"sw01#")
        sw01.byte_by_byte = True
        packet_sizes.clear()
        channel.send(b"show interfaces description\n")
        received = _read_until(channel, b"\r\nsw01#")
    finally:
        client.close()
    assert packet_sizes and set(packet_sizes) == {1}
    assert len(packet_sizes) == len(received)
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = "".join(decoder.decode(bytes([b])) for b in received)
    assert f"up             up       {description}\r\n" in text
    # each multibyte character did arrive split over several packets
    with pytest.raises(UnicodeDecodeError):
        received[received.index("é".encode()) :][:1].decode("utf-8")


# -- the firewall and router personalities --------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """How to read a platform's main config and one other show command."""

    main: str  # the command whose output "truncate" and "empty" hit
    other: str
    error: str  # what the "error" fault answers (start of)
    last_line: str  # the last line of a complete main output


PLATFORMS = {
    "fortinet": Platform("show", "get system status", "command parse error before", "end"),
    "mikrotik_routeros": Platform(
        "/export terse",
        "/system routerboard print",
        "bad command name",
        "/tool mac-server mac-winbox set allowed-interface-list=LAN",
    ),
}


@pytest.fixture(params=sorted(PLATFORMS))
def device(request: pytest.FixtureRequest, lab_factory: LabFactory) -> LabDevice:
    """A FortiGate or a MikroTik router in a running lab."""
    created = LabDevice(name="edge01", platform=request.param)
    lab_factory(created)
    return created


def _volatile(text: str) -> str:
    """Output without what changes at every call (FortiOS ENC salts, RouterOS export date)."""
    text = re.sub(r"ENC (?!SH2)\S+", "ENC x", text)
    return re.sub(r"^# \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by", "# <date> by", text, flags=re.M)


def _lines(text: str) -> list[str]:
    """The non-blank lines of an output, volatile parts blanked."""
    return [line for line in _volatile(text).splitlines() if line.strip()]


def test_faults_on_firewall_and_router(device: LabDevice, netmiko_connect: Connector) -> None:
    spec = PLATFORMS[device.platform]
    conn = netmiko_connect(device)
    full = conn.send_command(spec.main).rstrip()
    assert full.splitlines()[-1] == spec.last_line
    device.fault = "truncate"
    cut = conn.send_command(spec.main).rstrip()
    assert cut and cut.splitlines()[-1] != spec.last_line
    assert 0.3 * len(full.splitlines()) < len(cut.splitlines()) < 0.5 * len(full.splitlines())
    device.fault = "empty"
    assert conn.send_command(spec.main).strip() == ""
    device.fault = "error"
    for command in (spec.main, spec.other):
        assert conn.send_command(command).strip().startswith(spec.error)
    device.fault = None
    assert _volatile(conn.send_command(spec.main).rstrip()) == _volatile(full)


def test_hang_on_firewall_and_router(device: LabDevice, netmiko_connect: Connector) -> None:
    conn = netmiko_connect(device)
    device.fault = "hang"
    with pytest.raises(ReadTimeout):
        conn.send_command(
            PLATFORMS[device.platform].other,
            read_timeout=1,
            auto_find_prompt=False,
            cmd_verify=False,
        )
    device.fault = None


def test_byte_by_byte_on_firewall_and_router(device: LabDevice, netmiko_connect: Connector) -> None:
    command = PLATFORMS[device.platform].main
    conn = netmiko_connect(device)
    whole = conn.send_command(command)
    device.byte_by_byte = True
    # Netmiko rewrites a read that ends on a lone "\r" to "\n" before the "\n" arrives, so a
    # CRLF split across two reads can add a blank line; both profiles drop blank lines
    # (canonicalizer drop_blank_lines), so compare the lines the product compares.
    assert _lines(conn.send_command(command)) == _lines(whole)
