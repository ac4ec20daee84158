"""systemd's notification protocol (``sd_notify``), with a plain datagram socket.

systemd passes ``NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket) to a
``Type=notify`` service; the service sends ``KEY=value`` lines in one datagram: ``READY=1`` once
started, ``STATUS=...`` for ``systemctl status``, ``WATCHDOG=1`` at least every
``WATCHDOG_USEC`` microseconds when ``WatchdogSec=`` is set, ``STOPPING=1`` / ``RELOADING=1``.
Without ``NOTIFY_SOCKET`` (run by hand, in a container) every call does nothing. A failed send is
logged once and never raises: the daemon must not die because systemd went away.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


def socket_address(value: str) -> str | None:
    """The address to send to: a path, or an abstract name (``@x`` -> ``\\0x``); None if unusable.

    ``vsock:`` addresses (virtual machines) are not supported and give None.
    """
    if not value or value.startswith("vsock:"):
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    return value if value.startswith("/") else None


def watchdog_seconds(env: Mapping[str, str], pid: int) -> float | None:
    """The watchdog period in seconds when systemd expects pings from this process, else None."""
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = env.get("WATCHDOG_PID", "")
    if owner and owner.isdigit() and int(owner) != pid:
        return None
    return int(usec) / 1_000_000


class SystemdNotifier:
    """Sends notifications to systemd; a no-op without ``NOTIFY_SOCKET``."""

    def __init__(self, address: str | None, watchdog: float | None = None) -> None:
        self.address = address
        self.watchdog = watchdog
        self._sock: socket.socket | None = None
        self._warned = False
        self._last_ping = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemdNotifier:
        """A notifier for this process's environment (``NOTIFY_SOCKET``, ``WATCHDOG_USEC``)."""
        env = os.environ if env is None else env
        address = socket_address(env.get("NOTIFY_SOCKET", ""))
        return cls(address, watchdog_seconds(env, os.getpid()) if address else None)

    def send(self, **fields: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True if it was sent."""
        if self.address is None:
            return False
        payload = "\n".join(f"{key}={value}" for key, value in fields.items()).encode("utf-8")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, self.address)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify systemd at %r: %s", self.address, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str) -> bool:
        """READY=1 with a status line."""
        return self.send(READY="1", STATUS=_one_line(status))

    def status(self, status: str) -> bool:
        """A new status line (``systemctl status`` shows it)."""
        return self.send(STATUS=_one_line(status))

    def reloading(self) -> bool:
        """RELOADING=1 (systemd wants the monotonic clock with it since v253)."""
        return self.send(RELOADING="1", MONOTONIC_USEC=str(time.monotonic_ns() // 1000))

    def stopping(self, status: str = "stopping") -> bool:
        """STOPPING=1 with a status line."""
        return self.send(STOPPING="1", STATUS=_one_line(status))

    def ping_due(self, now: float | None = None) -> bool:
        """Whether a watchdog ping is due (every half period)."""
        if self.watchdog is None:
            return False
        now = time.monotonic() if now is None else now
        return now - self._last_ping >= self.watchdog / 2

    def ping(self, now: float | None = None) -> bool:
        """WATCHDOG=1."""
        self._last_ping = time.monotonic() if now is None else now
        return self.send(WATCHDOG="1")

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]
