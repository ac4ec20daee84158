"""What every fetch shares: the target, a TCP socket we own, and the hard deadline on it.

NAPALM and Netmiko have no overall timeout (napalm#1586): a device that stops answering mid-
session holds its worker forever. We open the TCP connection ourselves and hand it to Netmiko as
``sock``; a watchdog shuts that socket down at the deadline (one thread holds the deadlines of
every session of the process), which makes the blocked read fail at once (see
``transport.py``), even while Netmiko is still inside its constructor waiting for a first
prompt. The device is then reported as ``timeout``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
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


class _Deadlines:
    """One thread for every watchdog of the process: a heap of deadlines, the earliest first.

    The thread starts with the first deadline and ends once the heap is empty, so a poll costs
    one thread, not one per device. A cancelled watchdog is dropped without firing when it
    reaches the top of the heap (the thread is woken if it is there already).
    """

    def __init__(self) -> None:
        self._count = itertools.count()
        self._reset()
        # A forked child has no watchdog thread and must not wait for the parent's.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, dog: Watchdog) -> None:
        """Fire ``dog`` at ``deadline`` (time.monotonic) unless it is cancelled by then."""
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._count), dog))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="prisme-drift-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is dog:
                self._wake.notify()  # an earlier deadline than the one the thread sleeps on

    def cancel(self, dog: Watchdog) -> None:
        """Never fire ``dog``; wake the thread if it sleeps on that deadline, to drop it."""
        with self._wake:
            dog.cancelled = True
            if self._heap and self._heap[0][2] is dog:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                due = self._pop_due()
                if due is None:
                    if not self._heap:
                        self._thread = None
                        return
                    self._wake.wait(self._heap[0][0] - time.monotonic())
                    continue
            due._fire()

    def _pop_due(self) -> Watchdog | None:
        """The first live watchdog whose deadline has passed (cancelled ones are dropped)."""
        now = time.monotonic()
        while self._heap and (self._heap[0][2].cancelled or self._heap[0][0] <= now):
            _, _, dog = heapq.heappop(self._heap)
            if not dog.cancelled:
                return dog
        return None


_DEADLINES = _Deadlines()


class Watchdog:
    """Shuts a socket down when the deadline passes; ``expired`` tells whether it did."""

    def __init__(self, seconds: float, sock: socket.socket) -> None:
        self.expired = False
        self.cancelled = False
        self._sock = sock
        self._seconds = max(seconds, 0.01)

    def __enter__(self) -> Watchdog:
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)
        _DEADLINES.add(time.monotonic() + self._seconds, self)
        return self

    def __exit__(self, *exc: object) -> None:
        _DEADLINES.cancel(self)
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
