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
from collections.abc import Callable, Iterator
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
        # Shut down, never close: a blocked read fails at once (end of stream), the library's
        # transport thread ends on that, and ``bounded_socket`` closes the socket afterwards.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)


def abort_all() -> int:
    """Cut every device session now and refuse new ones (a daemon shutting down); returns how
    many were cut. Each cut fetch ends as a ``timeout`` at once; the process is ending."""
    _ABORTING.set()
    with _ACTIVE_LOCK:
        dogs = list(_ACTIVE)
    for dog in dogs:
        dog._fire()
    return len(dogs)


def shutdown(sock: socket.socket) -> None:
    """Shut a socket down both ways and close it; errors of a dying socket are ignored."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def close_session(conn: Any, close: Callable[[], object] | None = None) -> None:
    """Close a Netmiko session (``close``: the owner's close, e.g. a NAPALM driver's), then
    its paramiko Transport, before ``bounded_socket`` closes the socket under them.

    Netmiko's ``disconnect`` closes the channel, then the Transport, and swallows any error on
    the way. A device that hangs up on ``exit``/``quit`` makes the channel close raise
    EOFError: the Transport is never closed, its thread still reads our socket when we close
    it, and it logs ``ERROR paramiko.transport: Socket exception: Bad file descriptor (9)``
    after a good poll. ``Transport.close`` marks its packetizer closed before it closes the
    socket, so its thread ends quietly.
    """
    client = getattr(conn, "remote_conn_pre", None)
    transport = client.get_transport() if client is not None else None
    with contextlib.suppress(Exception):
        (close or conn.disconnect)()
    if transport is not None:
        transport.close()


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
