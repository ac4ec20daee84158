"""What every fetch shares: the target, a TCP socket we own, and the hard deadline on it.

NAPALM and Netmiko have no overall timeout (napalm#1586): a device that stops answering mid-
session holds its worker forever. We open the TCP connection ourselves and hand it to Netmiko as
``sock``; a watchdog timer shuts that socket down at the deadline, which makes the blocked read
fail at once (see ``transport.py``), even while Netmiko is still inside its constructor waiting
for a first prompt. The device is then reported as ``timeout``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prisme_drift.collect.failures import classify_exception
from prisme_drift.collect.transport import install_exact_decoding
from prisme_drift.errors import CollectError


@dataclass
class Target:
    """Everything needed to reach one device; a private copy per host (see nornir_napalm bug)."""

    name: str
    hostname: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    napalm_args: dict[str, Any] = field(default_factory=dict)
    netmiko_args: dict[str, Any] = field(default_factory=dict)


_ACTIVE: set[Watchdog] = set()
_ACTIVE_LOCK = threading.Lock()
_ABORTING = threading.Event()


class Watchdog:
    """Shuts a socket down when the deadline passes; ``expired`` tells whether it did."""

    def __init__(self, seconds: float, sock: socket.socket) -> None:
        self.expired = False
        self._sock = sock
        self._timer = threading.Timer(max(seconds, 0.01), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)

    def _fire(self) -> None:
        self.expired = True
        shutdown(self._sock)


def abort_all() -> int:
    """Cut every device session now and refuse new ones (a daemon shutting down); returns how
    many were cut. Each cut fetch ends as a ``timeout`` at once. ``resume_sessions`` undoes it."""
    _ABORTING.set()
    with _ACTIVE_LOCK:
        dogs = list(_ACTIVE)
    for dog in dogs:
        dog._fire()
    return len(dogs)


def resume_sessions() -> None:
    """Allow new device sessions again after ``abort_all``."""
    _ABORTING.clear()


def shutdown(sock: socket.socket) -> None:
    """Shut a socket down both ways and close it; errors of a dying socket are ignored."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def connect(target: Target, timeout: float) -> socket.socket:
    """The TCP connection to the device, or CollectError(unreachable)."""
    try:
        return socket.create_connection((target.hostname, target.port), timeout=timeout)
    except OSError as exc:
        raise CollectError(
            f"cannot connect to {target.hostname}:{target.port}: {exc.strerror or exc}",
            kind="unreachable",
        ) from exc


@contextmanager
def bounded_socket(
    target: Target, budget: float, connect_timeout: float
) -> Iterator[socket.socket]:
    """A connected socket cut at the deadline; exceptions inside become classified CollectErrors."""
    install_exact_decoding()  # the deadline relies on reads failing once the socket is shut
    if _ABORTING.is_set():
        raise CollectError("collection aborted: prisme-drift is shutting down", kind="error")
    sock = connect(target, min(budget, connect_timeout))
    try:
        with Watchdog(budget, sock) as dog:
            if _ABORTING.is_set():  # abort_all ran between the check above and the watchdog
                dog._fire()
            try:
                yield sock
            except CollectError:
                raise
            except Exception as exc:
                raise classify_exception(exc, expired=dog.expired) from exc
            if dog.expired:
                raise CollectError("hard time limit reached", kind="timeout")
    finally:
        shutdown(sock)
