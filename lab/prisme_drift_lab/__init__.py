"""Simulated network devices reachable over real SSH on localhost.

>>> from prisme_drift_lab import Lab, LabDevice
>>> with Lab([LabDevice(name="sw01", platform="ios")]) as lab:   # doctest: +SKIP
...     port = lab.device("sw01").port   # connect Netmiko/NAPALM to 127.0.0.1:port

A :class:`LabDevice` holds a device's state (config, credentials, faults, host key); a
:class:`Lab` serves devices from one asyncio loop in a daemon thread, one SSH server per device.
Platform behaviour comes from personalities (:data:`KNOWN_PLATFORMS`): ``ios`` (Catalyst switch),
``fortinet`` (FortiGate firewall) and ``mikrotik_routeros`` (MikroTik router).
"""

from prisme_drift.errors import ConfigError

#: How to get the lab: a production install (``pip install prisme-drift``) carries no simulator.
LAB_EXTRA = "pip install 'prisme-drift[lab]'"

try:
    import asyncssh  # noqa: F401  (the simulated devices' SSH servers)
except ImportError as exc:
    raise ConfigError(
        "the lab (prisme-drift demo, the simulated devices) needs the 'lab' extra, "
        f"which is not installed: {LAB_EXTRA} (./dev.sh installs it)"
    ) from exc

from prisme_drift_lab.device import FAULTS, LabDevice  # noqa: E402
from prisme_drift_lab.personality import KNOWN_PLATFORMS  # noqa: E402
from prisme_drift_lab.server import Lab  # noqa: E402

__all__ = ["FAULTS", "KNOWN_PLATFORMS", "LAB_EXTRA", "Lab", "LabDevice"]
