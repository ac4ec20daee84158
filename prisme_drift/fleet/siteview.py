"""One site as the web page's site view reads it from the central database: its devices with
their latest structured state, tickets, documents and changes per week.

Callers check first that the user may see the site (``prisme_drift.web.scope``); every query
here is for that one site. The open drift items come from :func:`views.open_items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from prisme_drift.fleet import schema
from prisme_drift.report.monthly_input import TRANSITIONAL_EXPIRED
from prisme_drift.timefmt import parse_iso

#: Tickets shown on a site page: the newest ones.
TICKETS_SHOWN = 50


@dataclass(frozen=True)
class DeviceLine:
    """A present device: its last poll and, when the site copied it, its structured state's
    facts (None when absent)."""

    id: int
    name: str
    hostname: str
    platform: str
    model: str | None
    serial: str | None
    os_version: str | None
    state_at: datetime | None
    last_status: str | None
    last_poll_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int


def _fact(state: Any, name: str) -> str | None:
    facts = state.get("facts") if isinstance(state, dict) else None
    value = facts.get(name) if isinstance(facts, dict) else None
    return str(value) if value not in (None, "") else None


def site_devices(connection: Connection, site: str) -> list[DeviceLine]:
    """The site's present devices, by name."""
    d, st = schema.devices.c, schema.device_states.c
    query = (
        select(schema.devices, st.state, st.collected_at)
        .join_from(
            schema.devices,
            schema.device_states,
            and_(st.site == d.site, st.device_id == d.id),
            isouter=True,
        )
        .where(d.site == site, d.removed_at.is_(None))
        .order_by(d.name)
    )
    return [
        DeviceLine(
            id=row.id,
            name=row.name,
            hostname=row.hostname,
            platform=row.platform,
            model=_fact(row.state, "model"),
            serial=_fact(row.state, "serial"),
            os_version=_fact(row.state, "os_version"),
            state_at=row.collected_at,
            last_status=row.last_status,
            last_poll_at=row.last_poll_at,
            last_success_at=row.last_success_at,
            consecutive_failures=row.consecutive_failures,
        )
        for row in connection.execute(query)
    ]


@dataclass(frozen=True)
class TicketLine:
    """A ticket of the site, as its last sync copied it."""

    id: str
    status: str
    title: str
    start: datetime | None
    end: datetime | None
    updated_at: datetime


def site_tickets(connection: Connection, site: str) -> list[TicketLine]:
    """The site's newest tickets (at most :data:`TICKETS_SHOWN`), newest first."""
    t = schema.tickets.c
    query = select(schema.tickets).where(t.site == site)
    query = query.order_by(t.updated_at.desc(), t.id).limit(TICKETS_SHOWN)
    lines = []
    for row in connection.execute(query):
        data = row.data if isinstance(row.data, dict) else {}
        lines.append(
            TicketLine(
                id=row.id,
                status=row.status,
                title=str(data.get("title", "")),
                start=parse_iso(data.get("start")),
                end=parse_iso(data.get("end")),
                updated_at=row.updated_at,
            )
        )
    return lines


@dataclass(frozen=True)
class ReportLine:
    """A document the site wrote (audit, monthly, intervention), by its path in the site's
    report folder."""

    path: str
    kind: str
    size: int
    modified_at: datetime


def site_reports(connection: Connection, site: str) -> list[ReportLine]:
    """The site's documents, newest first."""
    r = schema.report_files.c
    query = select(r.path, r.kind, r.size, r.modified_at).where(r.site == site)
    rows = connection.execute(query.order_by(r.modified_at.desc(), r.path))
    return [ReportLine(row.path, row.kind, row.size, row.modified_at) for row in rows]


@dataclass(frozen=True)
class WeekChanges:
    """Changes first seen in one ISO week (Monday ``start``), by verdict as it stands now,
    counted as the monthly document counts them: ``authorized`` when a ticket covered the
    change as the poll saw it, ``accepted`` when accepted afterwards, else ``unauthorized``.
    Expired transitional steps are follow-ups, not changes."""

    start: date
    authorized: int
    accepted: int
    unauthorized: int


def weekly_changes(
    connection: Connection, site: str, today: date, weeks: int = 12
) -> list[WeekChanges]:
    """The last ``weeks`` ISO weeks up to the one of ``today``, oldest first."""
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = datetime.combine(first, time(), tzinfo=UTC)
    i = schema.drift_items.c
    at_once = and_(i.verdict == "authorized", i.closed_at == i.opened_at)
    query = (
        select(i.opened_at, at_once.label("at_once"), i.verdict)
        .where(i.site == site, i.opened_at >= since)
        .where(or_(i.reason.is_(None), i.reason != TRANSITIONAL_EXPIRED))
    )
    counts = {first + timedelta(weeks=n): [0, 0, 0] for n in range(weeks)}
    for row in connection.execute(query):
        day = row.opened_at.astimezone(UTC).date()
        slot = counts.get(day - timedelta(days=day.weekday()))
        if slot is not None:
            slot[0 if row.at_once else 1 if row.verdict == "accepted" else 2] += 1
    return [WeekChanges(start, *values) for start, values in counts.items()]
