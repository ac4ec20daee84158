"""Rows of a site in the central database, as its syncs leave them, for the web tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from prisme_drift.fleet import schema

NOW = datetime.now(UTC)


def _next_id(engine: Engine, table: Any, site: str) -> int:
    with engine.connect() as connection:
        found = connection.scalar(select(func.max(table.c.id)).where(table.c.site == site))
    return int(found or 0) + 1


def add_device(
    engine: Engine, site: str, name: str, status: str = "unchanged", **values: Any
) -> int:
    """A device of ``site`` whose last poll ended with ``status``; its id."""
    device_id = _next_id(engine, schema.devices, site)
    row = {
        "site": site,
        "id": device_id,
        "name": name,
        "platform": "ios",
        "hostname": f"{name}.example.net",
        "last_poll_at": NOW,
        "last_status": status,
        "last_success_at": NOW if status not in ("failed", "quarantined") else None,
        "consecutive_failures": 0 if status not in ("failed", "quarantined") else 3,
        **values,
    }
    with engine.begin() as connection:
        connection.execute(schema.devices.insert().values(row))
    return device_id


def add_drift(
    engine: Engine,
    site: str,
    device_id: int,
    verdict: str = "unauthorized",
    opened_at: datetime | None = None,
    **values: Any,
) -> int:
    """An open drift item on a device; its id."""
    item_id = _next_id(engine, schema.drift_items, site)
    opened = opened_at or NOW - timedelta(hours=2)
    row = {
        "site": site,
        "id": item_id,
        "device_id": device_id,
        "fingerprint": f"fp{item_id}",
        "category": "vlan",
        "path": ["vlan 30"],
        "removed": ["name COMPTA"],
        "added": ["name INVITES"],
        "verdict": verdict,
        "reason": None,
        "opened_at": opened,
        "last_seen_at": NOW,
        **values,
    }
    with engine.begin() as connection:
        connection.execute(schema.drift_items.insert().values(row))
    return item_id
