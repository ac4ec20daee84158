"""Fetch one device through NAPALM, under a hard wall-clock limit enforced outside the library.

NAPALM and Netmiko have no overall timeout (napalm#1586): a device that stops answering mid-
session holds its worker forever. We open the TCP connection ourselves and hand it to Netmiko; a
watchdog timer shuts that socket down at the deadline, which makes the blocked read fail at once
(see ``transport.py``); the device is then reported as ``timeout``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from napalm import get_network_driver

from prisme_drift.collect.failures import PARSE_ERRORS, classify_exception
from prisme_drift.errors import CollectError
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)

FACT_KEYS = ("vendor", "model", "serial_number", "os_version", "hostname", "fqdn")


@dataclass
class Target:
    """Everything needed to reach one device; a private copy per host (see nornir_napalm bug)."""

    name: str
    hostname: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    optional_args: dict[str, Any] = field(default_factory=dict)


class _Watchdog:
    """Shuts the device's TCP socket down when the deadline passes.

    The socket is ours (handed to Netmiko as ``sock``), so the watchdog can cut a session at any
    stage, even while Netmiko is still inside its constructor waiting for a first prompt.
    """

    def __init__(self, seconds: float, sock: socket.socket) -> None:
        self.expired = False
        self._sock = sock
        self._timer = threading.Timer(max(seconds, 0.01), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.expired = True
        _shutdown(self._sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _connect(target: Target, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((target.hostname, target.port), timeout=timeout)
    except OSError as exc:
        raise CollectError(
            f"cannot connect to {target.hostname}:{target.port}: {exc.strerror or exc}",
            kind="unreachable",
        ) from exc


def _facts(driver: Any) -> dict[str, Any]:
    try:
        raw = driver.get_facts()
    except PARSE_ERRORS as exc:
        raise CollectError(f"cannot parse the device facts: {exc}", kind="parse") from exc
    return {k: raw[k] for k in FACT_KEYS if k in raw and raw[k] not in (None, "", "Unknown")}


def fetch_once(
    target: Target, profile: Profile, budget: float, conn_args: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """One attempt: open, get_config(running) and get_facts, close. Raises CollectError."""
    driver_cls = get_network_driver(profile.collect.napalm_driver)
    sock = _connect(target, min(budget, float(conn_args.get("conn_timeout", budget))))
    optional_args = {
        **copy.deepcopy(target.optional_args),
        **conn_args,
        "port": target.port,
        "sock": sock,
    }
    try:
        with _Watchdog(budget, sock) as dog:
            driver = driver_cls(
                hostname=target.hostname,
                username=target.username or "",
                password=target.password or "",
                timeout=max(1, int(budget)),
                optional_args=optional_args,
            )
            try:
                driver.open()
                config = driver.get_config(retrieve="running")["running"]
                facts = _facts(driver) if profile.collect.facts else {}
            except Exception as exc:
                raise classify_exception(exc, expired=dog.expired) from exc
            finally:
                _safe_close(driver)
            if dog.expired:
                raise CollectError("hard time limit reached", kind="timeout")
    finally:
        _shutdown(sock)
    return str(config), facts


def _safe_close(driver: Any) -> None:
    with contextlib.suppress(Exception):
        if getattr(driver, "device", None) is not None:
            driver.close()


def backoff_delay(attempt: int, base: float, jitter: float) -> float:
    """Exponential backoff with jitter: base * 2**attempt, scaled by a factor in [1-j, 1+j]."""
    import random

    return float(base * (2**attempt) * random.uniform(1 - jitter, 1 + jitter))


def fetch_with_retries(
    target: Target,
    profile: Profile,
    *,
    deadline: float,
    retries: int,
    backoff: float,
    conn_args: dict[str, Any],
) -> tuple[str, dict[str, Any], int]:
    """Retry transport errors only, never past the device's deadline; auth is never retried."""
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CollectError("hard time limit reached before a complete fetch", kind="timeout")
        try:
            config, facts = fetch_once(target, profile, remaining, conn_args)
            return config, facts, attempt + 1
        except CollectError as exc:
            exc.attempts = attempt + 1
            if not exc.retryable or attempt >= retries:
                raise
            delay = min(backoff_delay(attempt, backoff, 0.5), max(0.0, deadline - time.monotonic()))
            log.info(
                "%s: %s (%s), retry %d in %.1fs", target.name, exc.kind, exc, attempt + 1, delay
            )
            time.sleep(delay)
            attempt += 1
