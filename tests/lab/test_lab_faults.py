"""Injected faults and byte-by-byte output."""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable
from typing import Any

import paramiko
import pytest
from netmiko import ReadTimeout
from paramiko.common import MSG_CHANNEL_DATA

from prisme_drift.lab import LabDevice

from .conftest import Connector

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
