"""Fetch one device through a NAPALM driver: ``get_config(running)`` and ``get_facts``."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from napalm import get_network_driver

from prisme_drift.collect.failures import PARSE_ERRORS
from prisme_drift.collect.session import Target, bounded_socket
from prisme_drift.errors import CollectError
from prisme_drift.profiles import Profile

FACT_KEYS = ("vendor", "model", "serial_number", "os_version", "hostname", "fqdn")


def _facts(driver: Any) -> dict[str, Any]:
    try:
        raw = driver.get_facts()
    except PARSE_ERRORS as exc:
        raise CollectError(f"cannot parse the device facts: {exc}", kind="parse") from exc
    return {k: raw[k] for k in FACT_KEYS if k in raw and raw[k] not in (None, "", "Unknown")}


def _close(driver: Any) -> None:
    with contextlib.suppress(Exception):
        if getattr(driver, "device", None) is not None:
            driver.close()


def fetch_napalm(
    target: Target, profile: Profile, budget: float, conn_args: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """One attempt through NAPALM. Raises CollectError."""
    driver_cls = get_network_driver(profile.collect.napalm_driver)
    connect_timeout = float(conn_args.get("conn_timeout", budget))
    with bounded_socket(target, budget, connect_timeout) as sock:
        optional_args = {
            **copy.deepcopy(target.napalm_args.get("optional_args") or {}),
            **conn_args,
            "port": target.port,
            "sock": sock,
        }
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
        finally:
            _close(driver)
    return str(config), facts
