"""A simulated network device: identity, credentials, configs, host key and injected faults.

A :class:`LabDevice` is plain state, shared between the caller's thread and the lab's event loop
thread; every access to the configs goes through one lock. The platform behaviour (prompts,
commands, config grammar) lives in a personality, see :mod:`prisme_drift_lab.personality`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import asyncssh

from prisme_drift_lab.personality import Personality, get_personality

Fault = Literal["truncate", "error", "empty", "hang", "broken_show", "broken_lldp"]
#: Values accepted by :attr:`LabDevice.fault` (besides ``None``).
FAULTS: tuple[str, ...] = ("truncate", "error", "empty", "hang", "broken_show", "broken_lldp")

_HOST_KEY_ALG = "ssh-ed25519"  # fast to generate; paramiko prefers it among host key types


@dataclass(frozen=True)
class LinkEnd:
    """The far end of a cable plugged into one of the device's ports (what LLDP/CDP see)."""

    device: str
    port: str
    chassis_id: str
    platform: str
    description: str = ""
    peer: LabDevice | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ConfigTimes:
    """Timestamps a platform shows in its config dumps."""

    changed_at: datetime
    changed_by: str
    saved_at: datetime
    saved_by: str


def _name_digest(name: str) -> bytes:
    return hashlib.sha256(name.encode("utf-8")).digest()


def default_serial(name: str) -> str:
    """A Cisco-looking serial number (``FOC1234X0AB``) derived from the device name."""
    digest = _name_digest(name)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    digits = int.from_bytes(digest[:4], "big") % 10_000
    letter = alphabet[digest[4] % 24]
    tail = "".join(alphabet[b % len(alphabet)] for b in digest[5:8])
    return f"FOC{digits:04d}{letter}{tail}"


def default_uptime(name: str) -> timedelta:
    """How long the device has "been up" when created: 3 to 120 days, stable per name."""
    digest = _name_digest(name)
    minutes = int.from_bytes(digest[8:12], "big") % (117 * 24 * 60)
    return timedelta(days=3, minutes=minutes)


class LabDevice:
    """One simulated device; see the package docstring for the public API."""

    def __init__(
        self,
        name: str,
        platform: str = "ios",
        username: str = "admin",
        password: str = "lab-pass",  # noqa: S107 - lab credentials, not a secret
        config: str | None = None,
        serial: str | None = None,
        model: str | None = None,
        os_version: str | None = None,
        enable_secret: str | None = None,
        port: int = 0,
    ) -> None:
        self.personality: Personality = get_personality(platform)
        self.name = name
        self.platform = platform
        self.username = username
        self.password = password
        self.enable_secret = enable_secret
        self.serial = serial or self.personality.default_serial(name)
        self.model = model or self.personality.default_model
        self.os_version = os_version or self.personality.default_os_version
        self.port = port  # 0 until a Lab binds it; then stable across stop/start
        # local port -> far end; see prisme_drift_lab.topology.connect
        self.links: dict[str, LinkEnd] = {}
        self.byte_by_byte = False
        self.password_attempts = 0  # logins tried, good or bad: tests that none is wasted
        self._revision = 0
        self._ticks = 0
        self._commands: list[str] = []
        self._fault: Fault | None = None
        self._lock = threading.RLock()
        self._host_key: asyncssh.SSHKey = asyncssh.generate_private_key(_HOST_KEY_ALG)
        now = datetime.now(UTC).replace(microsecond=0)
        self.boot_time = now - default_uptime(name)
        self._running = self._initial_config(config)
        self._startup = self._running
        self._times = ConfigTimes(now, username, now, username)
        self._last_shown = now

    def __repr__(self) -> str:
        return f"LabDevice(name={self.name!r}, platform={self.platform!r}, port={self.port})"

    def _initial_config(self, config: str | None) -> str:
        if config is None:
            text = self.personality.default_config(self)
        else:
            text = self.personality.load_config(self, config.replace("\r\n", "\n"))
        text = text.replace("\r\n", "\n")
        return text if text.endswith("\n") else text + "\n"

    # -- faults -------------------------------------------------------------------------------

    @property
    def fault(self) -> Fault | None:
        """The injected fault: None, "truncate", "error", "empty" or "hang"."""
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value is not None and value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}; known faults: None, {', '.join(FAULTS)}")
        self._fault = cast("Fault | None", value)

    # -- host key -----------------------------------------------------------------------------

    @property
    def host_key(self) -> asyncssh.SSHKey:
        """The current SSH host key (private)."""
        return self._host_key

    def new_host_key(self) -> asyncssh.SSHKey:
        """Replace the host key; the lab applies it to new connections (see Lab.rotate_host_key)."""
        self._host_key = asyncssh.generate_private_key(_HOST_KEY_ALG)
        return self._host_key

    def host_key_fingerprint(self) -> str:
        """OpenSSH-style SHA256 fingerprint of the current host key (``SHA256:...``)."""
        return str(self._host_key.get_fingerprint("sha256"))

    # -- configs ------------------------------------------------------------------------------

    def running_config(self) -> str:
        """The configuration as the platform's main command prints it, without its header.

        IOS: ``show running-config`` without "Building configuration...", "Current
        configuration : N bytes" and the volatile "! Last configuration change" / "! NVRAM
        config last updated" comments. FortiOS: ``show`` without the four ``#config-version``,
        ``#conf_file_ver``, ``#buildno`` and ``#global_vdom`` lines, ``ENC`` secrets with their
        stable salt. RouterOS: ``/export terse show-sensitive`` without its ``#`` comments.
        See docs/lab.md.
        """
        with self._lock:
            return self._running

    def startup_config(self) -> str:
        """The config last saved (``write memory``); equal to the running config at creation."""
        with self._lock:
            return self._startup

    def configure(self, lines: Sequence[str], user: str | None = None) -> None:
        """Apply config lines with the same grammar as over SSH.

        IOS: config-mode lines (as after ``configure terminal``); FortiOS: ``config``/``edit``/
        ``set``/``next``/``end`` lines; RouterOS: console commands (``/ip firewall nat add ...``).

        Lines that the device rejects are skipped, as a real device would, and reported at the
        end with a ValueError once the valid ones are applied.
        """
        errors = self.personality.configure(self, list(lines), user or self.username)
        if errors:
            raise ValueError("rejected config lines:\n" + "\n".join(errors))

    def edit_running(self, change: Callable[[str], str], user: str) -> bool:
        """Atomically replace the running config by ``change(current)``; True if it changed.

        For personalities: the config change time and author are updated on a real change.
        """
        with self._lock:
            new = change(self._running)
            if new == self._running:
                return False
            self._running = new
            self._revision += 1
            now = datetime.now(UTC).replace(microsecond=0)
            self._times = ConfigTimes(now, user, self._times.saved_at, self._times.saved_by)
            return True

    @property
    def revision(self) -> int:
        """How many times the running config changed since the device was created."""
        with self._lock:
            return self._revision

    def record_command(self, line: str) -> None:
        """Remember a line typed in a session (for tests and benchmarks: commands per poll)."""
        with self._lock:
            self._commands.append(line)

    def commands(self) -> list[str]:
        """Every line typed in this device's sessions so far, in order."""
        with self._lock:
            return list(self._commands)

    def tick(self) -> int:
        """A per-device counter advanced at every call, for outputs that vary at each display."""
        with self._lock:
            self._ticks += 1
            return self._ticks

    def save(self, user: str) -> None:
        """Copy the running config to the startup config (``write memory``)."""
        with self._lock:
            self._startup = self._running
            now = datetime.now(UTC).replace(microsecond=0)
            self._times = ConfigTimes(self._times.changed_at, self._times.changed_by, now, user)

    def config_times(self) -> ConfigTimes:
        """Last change and last save, with the change time advanced on every call.

        Real devices print the time of the last change; the lab makes it move on each call so
        that tests prove the collector ignores that volatile comment.
        """
        with self._lock:
            shown = max(self._times.changed_at, self._last_shown + timedelta(seconds=1))
            self._last_shown = shown
            return ConfigTimes(
                shown, self._times.changed_by, self._times.saved_at, self._times.saved_by
            )

    @property
    def chassis_id(self) -> str:
        """The base MAC address (``70ab.cd12.3456``), stable per serial number."""
        digest = hashlib.sha256(self.serial.encode()).hexdigest()[:10]
        mac = "70" + digest
        return ".".join(mac[i : i + 4] for i in range(0, 12, 4))

    def snapshot(self) -> dict[str, Any]:
        """Identity facts, for reports and the demo."""
        return {
            "name": self.name,
            "platform": self.platform,
            "port": self.port,
            "serial": self.serial,
            "model": self.model,
            "os_version": self.os_version,
        }
