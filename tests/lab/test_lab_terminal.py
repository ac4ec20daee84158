"""The raw SSH terminal: echo, Ctrl-Z, exec requests, what a person at a keyboard sees."""

from __future__ import annotations

import time

import paramiko
import pytest
from prisme_drift_lab import LabDevice

pytestmark = pytest.mark.lab


def open_client(device: LabDevice) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1",
        port=device.port,
        username=device.username,
        password=device.password,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    return client


def read_until(channel: paramiko.Channel, marker: str, timeout: float = 5) -> str:
    data = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in data:
        assert time.monotonic() < deadline, data
        if channel.recv_ready():
            data += channel.recv(65536)
        else:
            time.sleep(0.01)
    return data.decode()


def test_interactive_shell_echoes_and_handles_ctrl_z(sw01: LabDevice) -> None:
    client = open_client(sw01)
    try:
        channel = client.invoke_shell()
        banner = read_until(channel, "sw01#")
        assert "Acces reserve au personnel autorise" in banner
        channel.send(b"conf t\r")
        out = read_until(channel, "sw01(config)#")
        assert out.startswith("conf t\r\nEnter configuration commands")
        channel.send(b"int gi1/0/6\rdescription Imprimante \xc3\xa9tage\x1a")
        out = read_until(channel, "^Z\r\nsw01#")
        assert "sw01(config-if)#description Imprimante étage" in out
        channel.send(b"logout\r")
        read_until(channel, "logout")
        deadline = time.monotonic() + 5
        while not channel.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert channel.closed or channel.exit_status_ready()
    finally:
        client.close()
    assert "description Imprimante étage" in sw01.running_config()


def test_exec_request_runs_one_command(sw01: LabDevice) -> None:
    client = open_client(sw01)
    try:
        _, stdout, _ = client.exec_command("show clock")
        output = stdout.read().decode()
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()
    assert output.endswith(" UTC " + output.split(" UTC ")[1])
    assert output.count("\n") == 1 and "#" not in output
