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

#: How to get the lab: a production install (``pip install .``) carries no simulator; the lab
#: is its own distribution, ``prisme-drift-lab``, in the ``lab/`` folder of the source tree.
LAB_INSTALL = "pip install ./lab (from the prisme-drift source folder; ./dev.sh does it)"

try:
    import asyncssh  # noqa: F401  (the simulated devices' SSH servers)
except ImportError as exc:
    raise ConfigError(
        "the lab (prisme-drift demo, the simulated devices) needs asyncssh, which is not "
        f"installed: {LAB_INSTALL}"
    ) from exc

from prisme_drift_lab.device import FAULTS, LabDevice  # noqa: E402
from prisme_drift_lab.personality import KNOWN_PLATFORMS  # noqa: E402
from prisme_drift_lab.server import Lab  # noqa: E402

__all__ = ["FAULTS", "KNOWN_PLATFORMS", "LAB_INSTALL", "Lab", "LabDevice"]
