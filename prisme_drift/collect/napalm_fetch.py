"""Fetch one device through NAPALM, under a hard wall-clock limit enforced outside the library.

NAPALM and Netmiko have no overall timeout (napalm#1586): a device that stops answering mid-
session holds its worker forever. A watchdog timer closes the SSH transport at the deadline, which
makes the blocked read fail at once; the device is then reported as ``timeout``.
"""

from __future__ import annotations

import copy
import logging
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
    """Closes a driver's SSH transport when the deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._driver: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.01), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, driver: Any) -> None:
        with self._lock:
            self._driver = driver

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            _close_transport(self._driver)


def _close_transport(driver: Any) -> None:
    """Best effort: close the paramiko client under a NAPALM driver, whatever state it is in."""
    if driver is None:
        return
    netmiko_conn = getattr(driver, "device", None) or getattr(driver, "_netmiko_device", None)
    client = getattr(netmiko_conn, "remote_conn_pre", None)
    for closable in (getattr(netmiko_conn, "remote_conn", None), client):
        try:
            if closable is not None:
                closable.close()
        except Exception:  # noqa: S110 - closing on a dying session may fail in any way
            pass


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
    optional_args = {**copy.deepcopy(target.optional_args), **conn_args, "port": target.port}
    with _Watchdog(budget) as dog:
        driver = driver_cls(
            hostname=target.hostname,
            username=target.username or "",
            password=target.password or "",
            timeout=max(1, int(budget)),
            optional_args=optional_args,
        )
        dog.watch(driver)
        try:
            driver.open()
            dog.watch(driver)
            config = driver.get_config(retrieve="running")["running"]
            facts = _facts(driver) if profile.collect.facts else {}
        except Exception as exc:
            raise classify_exception(exc, expired=dog.expired) from exc
        finally:
            _safe_close(driver)
        if dog.expired:
            raise CollectError("hard time limit reached", kind="timeout")
    return config, facts


def _safe_close(driver: Any) -> None:
    try:
        if getattr(driver, "device", None) is not None:
            driver.close()
    except Exception:
        _close_transport(driver)


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
