"""Row counts and checksums of what a site holds, and of its copy in the central database.

Computed independently of ``prisme_drift.fleet.sources``: the site side reads the store's own
tables (device polls folded into UTC days here), the central side reads the central tables.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, select

from prisme_drift.config import Settings
from prisme_drift.fleet import schema
from prisme_drift.store.engine import make_engine, session_factory
from prisme_drift.store.models import (
    AuditEntry,
    Device,
    DevicePoll,
    DriftItem,
    Event,
    Poll,
    TicketRow,
)

Snapshot = dict[str, tuple[int, str]]


def _digest(rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    text = "\n".join(repr(row) for row in sorted(rows, key=repr))
    return len(rows), hashlib.sha256(text.encode()).hexdigest()


def _utc(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if value is not None else None


def site_snapshot(settings: Settings) -> Snapshot:
    """What the site's own store holds, table by table."""
    site = settings.site.name
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s:
            days: Counter[tuple[int, str, str]] = Counter()
            query = select(DevicePoll).join(Device).where(Device.site == site)
            for dp in s.scalars(query):
                days[(dp.device_id, dp.at.astimezone(UTC).date().isoformat(), dp.status)] += 1
            return {
                "devices": _digest(
                    [(d.id, d.name, d.last_status) for d in s.scalars(select(Device))]
                ),
                "polls": _digest(
                    [
                        (p.id, _utc(p.finished_at), p.observed_commit)
                        for p in s.scalars(select(Poll))
                    ]
                ),
                "device_days": _digest([(*key, n) for key, n in days.items()]),
                "drift_items": _digest(
                    [
                        (i.id, i.verdict, i.fingerprint, _utc(i.closed_at), i.close_reason)
                        for i in s.scalars(select(DriftItem))
                    ]
                ),
                "events": _digest([(e.id, e.kind, e.dedupe_key) for e in s.scalars(select(Event))]),
                "tickets": _digest(
                    [(t.id, t.status, _utc(t.updated_at)) for t in s.scalars(select(TicketRow))]
                ),
                "audit_entries": _digest(
                    [(a.id, a.action, a.hash) for a in s.scalars(select(AuditEntry))]
                ),
            }
    finally:
        engine.dispose()


def central_snapshot(engine: Engine, site: str) -> Snapshot:
    """The same tables, as the central database holds them for ``site``."""

    def rows(table: Any, *columns: str) -> list[tuple[Any, ...]]:
        with engine.connect() as connection:
            found = connection.execute(
                select(*(table.c[c] for c in columns)).where(table.c.site == site)
            ).all()
        return [tuple(_utc(v) if hasattr(v, "astimezone") else v for v in r) for r in found]

    days = []
    statuses = ("ok", "unchanged", "changed", "failed", "quarantined")
    for row in rows(schema.device_days, "device_id", "day", *statuses):
        device_id, day, *counts = row
        days += [
            (device_id, day.isoformat(), status, n)
            for status, n in zip(statuses, counts, strict=True)
            if n
        ]
    return {
        "devices": _digest(rows(schema.devices, "id", "name", "last_status")),
        "polls": _digest(rows(schema.polls, "id", "finished_at", "observed_commit")),
        "device_days": _digest(days),
        "drift_items": _digest(
            rows(schema.drift_items, "id", "verdict", "fingerprint", "closed_at", "close_reason")
        ),
        "events": _digest(rows(schema.events, "id", "kind", "dedupe_key")),
        "tickets": _digest(rows(schema.tickets, "id", "status", "updated_at")),
        "audit_entries": _digest(rows(schema.audit_entries, "id", "action", "hash")),
    }
