"""Starting, stopping and re-keying devices; no leaked threads or sockets."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from typing import Any

import paramiko
import pytest
from prisme_drift_lab import KNOWN_PLATFORMS, Lab, LabDevice

from .conftest import Connector, LabFactory

pytestmark = pytest.mark.lab


def server_fingerprint(port: int) -> str:
    """The SHA256 fingerprint of the host key a device presents (key exchange only)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=5)
        key = transport.get_remote_server_key()
    finally:
        transport.close()
        sock.close()
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def closed_by_the_device(session: Any, within: float = 15.0) -> bool:
    """True once the client sees its session closed: the device closes it at once, but the
    client's transport thread notices the EOF on its own schedule (later under load)."""
    deadline = time.monotonic() + within
    while session.is_alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def lab_threads(but: frozenset[threading.Thread] = frozenset()) -> list[threading.Thread]:
    """The lab threads alive in this process, but ``but``: the labs of session fixtures a
    worker built earlier (tests/conftest.py) run until the session ends."""
    return [t for t in threading.enumerate() if t.name == "prisme-drift-lab" and t not in but]


def test_stop_and_start_device_keep_port_key_and_config(
    lab_factory: LabFactory, netmiko_connect: Connector
) -> None:
    lab = lab_factory(LabDevice(name="sw01"), LabDevice(name="sw02"))
    sw02 = lab.device("sw02")
    port, fingerprint = sw02.port, sw02.host_key_fingerprint()
    assert server_fingerprint(port) == fingerprint
    sw02.configure(["vlan 77", "name KEEP"])
    session = netmiko_connect(sw02)
    lab.stop_device("sw02")
    assert refuses(port)
    assert not lab.is_listening("sw02") and lab.is_listening("sw01")
    assert closed_by_the_device(session)  # open sessions are closed too
    with pytest.raises(Exception, match=r"(?i)tcp connection|refused|timed out"):
        netmiko_connect(sw02)
    lab.start_device("sw02")
    assert sw02.port == port
    assert server_fingerprint(port) == fingerprint
    assert "vlan 77" in netmiko_connect(sw02).send_command("show running-config")


def test_rotate_host_key_changes_the_fingerprint(lab: Lab) -> None:
    device = lab.device("sw01")
    before = device.host_key_fingerprint()
    assert server_fingerprint(device.port) == before
    after = lab.rotate_host_key("sw01")
    assert after == device.host_key_fingerprint() != before
    assert server_fingerprint(device.port) == after


def test_leaving_the_lab_closes_ports_and_joins_the_thread(netmiko_connect: Connector) -> None:
    devices = [LabDevice(name=f"sw{i}") for i in range(3)]
    others = frozenset(lab_threads())
    with Lab(devices) as lab:
        assert lab.running and len(lab_threads(but=others)) == 1
        session = netmiko_connect(devices[0])
        ports = [d.port for d in devices]
    assert not lab.running
    assert lab_threads(but=others) == []
    assert all(refuses(port) for port in ports)
    assert not session.is_alive()


def test_ten_devices_are_ready_on_start_and_a_hundred_fit_one_loop() -> None:
    # ready when the lab is: every device answers SSH at once (its speed is benchmarks' business)
    with Lab([LabDevice(name=f"fast{i}") for i in range(10)]) as ten:
        for device in ten.devices:
            with socket.create_connection(("127.0.0.1", device.port), timeout=5) as probe:
                assert probe.recv(4).startswith(b"SSH-")
    devices = [LabDevice(name=f"sw{i:03d}") for i in range(100)]
    others = frozenset(lab_threads())
    with Lab(devices) as lab:
        assert len({d.port for d in lab.devices}) == 100
        assert len(lab_threads(but=others)) == 1
        for device in devices[::33]:
            with socket.create_connection(("127.0.0.1", device.port), timeout=5) as sock:
                assert sock.recv(64).startswith(b"SSH-2.0-Cisco-1.25")


def test_lab_and_device_validation() -> None:
    assert KNOWN_PLATFORMS == ("fortinet", "ios", "mikrotik_routeros")
    with pytest.raises(ValueError, match="known platforms: fortinet, ios, mikrotik_routeros"):
        LabDevice(name="fw01", platform="fortios")
    with pytest.raises(ValueError, match="duplicate"):
        Lab([LabDevice(name="sw01"), LabDevice(name="sw01")])
    lab = Lab([LabDevice(name="sw01")])
    with pytest.raises(KeyError):
        lab.device("nope")
    assert LabDevice(name="a").serial != LabDevice(name="b").serial
    assert LabDevice(name="a").host_key_fingerprint().startswith("SHA256:")
    lab.stop()  # stopping a lab that never started is harmless


@pytest.mark.parametrize(
    ("platform", "change", "command", "marker"),
    [
        (
            "fortinet",
            ["config system global", "set admintimeout 30", "end"],
            "show",
            "admintimeout 30",
        ),
        ("mikrotik_routeros", ["/system note set note=KEEP"], "/export terse", "note=KEEP"),
    ],
)
def test_firewall_and_router_stop_start_and_rekey(
    lab_factory: LabFactory,
    netmiko_connect: Connector,
    platform: str,
    change: list[str],
    command: str,
    marker: str,
) -> None:
    device = LabDevice(name="edge01", platform=platform)
    lab = lab_factory(device)
    port, fingerprint = device.port, device.host_key_fingerprint()
    device.configure(change)
    session = netmiko_connect(device)
    lab.stop_device("edge01")
    assert refuses(port) and closed_by_the_device(session)
    lab.start_device("edge01")
    assert device.port == port and server_fingerprint(port) == fingerprint
    assert marker in netmiko_connect(device).send_command(command)
    after = lab.rotate_host_key("edge01")
    assert after != fingerprint and server_fingerprint(port) == after
