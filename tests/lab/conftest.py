"""Fixtures for the lab tests: labs that always stop, and real Netmiko/NAPALM clients."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from napalm import get_network_driver
from netmiko import BaseConnection, ConnectHandler
from prisme_drift_lab import Lab, LabDevice

LabFactory = Callable[..., Lab]
Connector = Callable[..., BaseConnection]


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Start a lab of the given devices (one default ``sw01`` if none); stopped at teardown."""
    labs: list[Lab] = []

    def make(*devices: LabDevice, **kwargs: Any) -> Lab:
        lab = Lab(devices or [LabDevice(name="sw01")], **kwargs).start()
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.stop()


@pytest.fixture
def lab(lab_factory: LabFactory) -> Lab:
    """A running lab with one default IOS switch called ``sw01``."""
    return lab_factory()


@pytest.fixture
def sw01(lab: Lab) -> LabDevice:
    """The ``sw01`` device of the ``lab`` fixture."""
    return lab.device("sw01")


#: The Netmiko driver of each lab platform.
DEVICE_TYPES = {
    "ios": "cisco_ios",
    "fortinet": "fortinet",
    "mikrotik_routeros": "mikrotik_routeros",
}


@pytest.fixture
def netmiko_connect() -> Iterator[Connector]:
    """Open Netmiko sessions (the platform's driver) to lab devices; disconnected at teardown."""
    sessions: list[BaseConnection] = []

    def connect(device: LabDevice, **kwargs: Any) -> BaseConnection:
        params: dict[str, Any] = {
            "device_type": DEVICE_TYPES[device.platform],
            "host": "127.0.0.1",
            "port": device.port,
            "username": device.username,
            "password": device.password,
            "conn_timeout": 5,
        }
        params.update(kwargs)
        session = ConnectHandler(**params)
        sessions.append(session)
        return session

    yield connect
    for session in sessions:
        with contextlib.suppress(Exception):  # the test may have killed the device
            session.disconnect()


@pytest.fixture
def napalm_open() -> Iterator[Callable[..., Any]]:
    """Open NAPALM ``ios`` drivers to lab devices; closed at teardown."""
    drivers: list[Any] = []

    def open_driver(device: LabDevice, **optional_args: Any) -> Any:
        driver = get_network_driver("ios")(
            hostname="127.0.0.1",
            username=device.username,
            password=device.password,
            timeout=10,
            optional_args={"port": device.port, **optional_args},
        )
        driver.open()
        drivers.append(driver)
        return driver

    yield open_driver
    for driver in drivers:
        with contextlib.suppress(Exception):
            driver.close()
