"""Fetch one device through a NAPALM driver: ``get_config(running)``, and ``get_facts`` when the
poll wants them (``wants_facts``, asked with the configuration just read)."""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from napalm import get_network_driver

from prisme_drift.collect.session import Target, bounded_socket, close_session
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)

FACT_KEYS = ("vendor", "model", "serial_number", "os_version", "hostname", "fqdn")


def _facts(driver: Any, name: str) -> dict[str, Any]:
    """The device facts; {} when the device cannot give them (the configuration is kept).

    Facts are secondary: a device whose ``show ip interface brief`` breaks NAPALM's parser (or
    the device's own CLI) still has a good configuration, and losing it would blind us.
    """
    try:
        raw = driver.get_facts()
    except Exception as exc:  # any failure here costs the facts only
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        log.warning(
            "%s: facts unavailable (%s: %s); configuration kept", name, type(exc).__name__, first
        )
        return {}
    return {k: raw[k] for k in FACT_KEYS if k in raw and raw[k] not in (None, "", "Unknown")}


@cache
def driver_class(name: str) -> Any:
    """NAPALM's driver class for ``name``, looked up once per process (``get_network_driver``
    imports and inspects its module at each call: half a millisecond per device and poll)."""
    return get_network_driver(name)


def _close(driver: Any) -> None:
    """The driver's close, then its SSH transport (see ``close_session``)."""
    conn = getattr(driver, "device", None)
    if conn is not None:
        close_session(conn, driver.close)


@contextlib.contextmanager
def napalm_session(
    target: Target, profile: Profile, budget: float, conn_args: dict[str, Any]
) -> Iterator[Any]:
    """An open NAPALM driver on a socket cut at the deadline; closed on the way out."""
    driver_cls = driver_class(profile.collect.napalm_driver)
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
            yield driver
        finally:
            _close(driver)


def fetch_napalm(
    target: Target,
    profile: Profile,
    budget: float,
    conn_args: dict[str, Any],
    wants_facts: Callable[[str], bool] | None = None,
) -> tuple[str, dict[str, Any]]:
    """One attempt through NAPALM. Raises CollectError.

    ``wants_facts(config)``: whether to ask for the facts too, in the same session (None: yes).
    """
    with napalm_session(target, profile, budget, conn_args) as driver:
        config = str(driver.get_config(retrieve="running")["running"])
        wanted = profile.collect.facts and (wants_facts is None or wants_facts(config))
        facts = _facts(driver, target.name) if wanted else {}
    return config, facts
