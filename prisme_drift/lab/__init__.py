"""Simulated network devices reachable over real SSH on localhost.

>>> from prisme_drift.lab import Lab, LabDevice
>>> with Lab([LabDevice(name="sw01", platform="ios")]) as lab:   # doctest: +SKIP
...     port = lab.device("sw01").port   # connect Netmiko/NAPALM to 127.0.0.1:port

A :class:`LabDevice` holds a device's state (config, credentials, faults, host key); a
:class:`Lab` serves devices from one asyncio loop in a daemon thread, one SSH server per device.
Platform behaviour comes from personalities (:data:`KNOWN_PLATFORMS`): ``ios`` (Catalyst switch),
``fortinet`` (FortiGate firewall) and ``mikrotik_routeros`` (MikroTik router).
"""

from prisme_drift.lab.device import FAULTS, LabDevice
from prisme_drift.lab.personality import KNOWN_PLATFORMS
from prisme_drift.lab.server import Lab

__all__ = ["FAULTS", "KNOWN_PLATFORMS", "Lab", "LabDevice"]
