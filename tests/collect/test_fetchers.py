"""Both fetchers over real SSH against the lab, and the Netmiko output framing."""

from __future__ import annotations

import logging
import socket
import threading
import time

import paramiko
import pytest
from netmiko.cisco_base_connection import CiscoBaseConnection
from prisme_drift_lab import Lab, LabDevice

from prisme_drift.collect import session
from prisme_drift.collect.napalm_fetch import fetch_napalm
from prisme_drift.collect.netmiko_fetch import facts_from, fetch_netmiko, join_outputs
from prisme_drift.collect.retry import fetch_with_retries
from prisme_drift.collect.session import Target
from prisme_drift.errors import CollectError
from prisme_drift.profiles import Profile, get_profile

_DATA = get_profile("ios").model_dump()
_DATA["collect"].update(
    method="netmiko",
    commands=["show running-config", "show vlan brief"],
    fact_rules={
        "serial_number": {
            "command": "show version",
            "pattern": r"Processor board ID (?P<value>\S+)",
        }
    },
)
NETMIKO_IOS = Profile.model_validate(_DATA)  # as a YAML profile would be loaded
CONN = {"ssh_strict": False, "conn_timeout": 5}
real_shutdown = session.shutdown


def target(device: LabDevice, password: str = "pw") -> Target:
    return Target(device.name, "127.0.0.1", device.port, "admin", password)


@pytest.fixture
def lab() -> object:
    with Lab([LabDevice(name="sw01", platform="ios", username="admin", password="pw")]) as lab:
        yield lab


def test_join_outputs_frames_each_command_in_order() -> None:
    text = join_outputs(NETMIKO_IOS, {"show vlan brief": "VLAN\n", "show running-config": "cfg"})
    assert text == "#### show running-config\ncfg\n#### show vlan brief\nVLAN\n"


def test_facts_from_rules() -> None:
    facts = facts_from(NETMIKO_IOS, {"show version": "x\nProcessor board ID FOC99\n"})
    assert facts == {"serial_number": "FOC99"}
    assert facts_from(NETMIKO_IOS, {"show version": "nothing"}) == {}


@pytest.mark.lab
def test_netmiko_fetch_over_ssh(lab: Lab) -> None:
    device = lab.device("sw01")
    config, facts = fetch_netmiko(target(device), NETMIKO_IOS, 20, CONN)
    assert config.startswith("#### show running-config\n")
    assert "hostname sw01" in config
    assert "#### show vlan brief" in config
    assert facts == {"serial_number": device.serial}


@pytest.mark.lab
@pytest.mark.parametrize("method", ["netmiko", "napalm"])
def test_a_device_that_hangs_up_first_leaves_no_transport_error(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    """IOS and RouterOS drop the connection on exit/quit; when that beats the client's channel
    close, the close raises EOFError, Netmiko swallows it and never closes the Transport. Our
    socket was then closed under its running thread: ``ERROR paramiko.transport: Socket
    exception: Bad file descriptor (9)`` after a good fetch."""

    def hung_up(channel: paramiko.Channel) -> None:
        raise EOFError  # what closing a channel of a connection the device reset raises

    monkeypatch.setattr(paramiko.Channel, "close", hung_up)
    # The race made certain: the Transport's thread has not seen the hang-up yet when the
    # channel close fails (no ``exit`` is sent, so the lab device keeps the connection open).
    monkeypatch.setattr(CiscoBaseConnection, "cleanup", lambda self, command="": None)
    live_at_close: list[bool] = []

    def recording_shutdown(sock: socket.socket) -> None:
        transports = [t for t in threading.enumerate() if isinstance(t, paramiko.Transport)]
        live_at_close.extend(t.active for t in transports if t.sock is sock)
        real_shutdown(sock)

    monkeypatch.setattr(session, "shutdown", recording_shutdown)
    caplog.set_level(logging.DEBUG, logger="paramiko")
    before = set(threading.enumerate())
    device = lab.device("sw01")
    if method == "netmiko":
        config, _ = fetch_netmiko(target(device), NETMIKO_IOS, 20, CONN)
    else:
        config, _ = fetch_napalm(target(device), get_profile("ios"), 20, CONN)
    assert "hostname sw01" in config
    for thread in set(threading.enumerate()) - before:
        if isinstance(thread, paramiko.Transport):
            thread.join(5)
            assert not thread.is_alive()
    assert live_at_close == [False]  # the Transport was closed before our socket
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


@pytest.mark.lab
def test_netmiko_fetch_hang_is_cut_at_the_deadline(lab: Lab) -> None:
    device = lab.device("sw01")
    device.fault = "hang"
    started = time.monotonic()
    with pytest.raises(CollectError) as info:
        fetch_with_retries(
            target(device),
            NETMIKO_IOS,
            deadline=started + 3,
            retries=2,
            backoff=0.1,
            conn_args=CONN,
        )
    assert info.value.kind == "timeout"
    assert time.monotonic() - started < 3 + 5
    device.fault = None


@pytest.mark.lab
def test_transport_errors_are_retried_auth_is_not(lab: Lab) -> None:
    device = lab.device("sw01")
    with pytest.raises(CollectError) as info:
        fetch_with_retries(
            target(device, "wrong"),
            NETMIKO_IOS,
            deadline=time.monotonic() + 20,
            retries=2,
            backoff=0.05,
            conn_args=CONN,
        )
    assert info.value.kind == "auth" and info.value.attempts == 1
    lab.stop_device("sw01")
    with pytest.raises(CollectError) as info:
        fetch_with_retries(
            target(device),
            NETMIKO_IOS,
            deadline=time.monotonic() + 20,
            retries=2,
            backoff=0.05,
            conn_args=CONN,
        )
    assert info.value.kind == "unreachable" and info.value.attempts == 3
