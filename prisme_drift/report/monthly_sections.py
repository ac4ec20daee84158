"""The monthly summary's section rows (sections 4 to 8), each built from a :class:`MonthInput`.

Unauthorized changes, interventions, transitional steps, monitoring availability and the points
carried into next month; ``report/monthly.py`` assembles them with the figures into the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prisme_drift.authorize.model import Ticket, TicketKind
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.models import Category
from prisme_drift.report.monthly_input import (
    GOOD_STATUSES,
    DevicePollRow,
    DeviceRow,
    Identity,
    ItemRow,
    Month,
    MonthInput,
)
from prisme_drift.scrub import scrub


def open_unauthorized(d: MonthInput, when: datetime) -> list[ItemRow]:
    """Unauthorized changes open at ``when``, oldest first."""
    return [i for i in d.items if i.is_change and not i.authorized_at_once and i.open_at(when)]


def month_tickets(d: MonthInput, m: Month) -> list[Ticket]:
    """Authorizing tickets whose window meets the month, by start."""
    found = [t for t in d.tickets if authorizes(t) and t.start < m.end and t.end >= m.start]
    return sorted(found, key=lambda t: (t.start, t.id))


@dataclass(frozen=True)
class UnauthorizedRow:
    """Section 4: one unauthorized change and what became of it by the end of the month."""

    item: ItemRow
    summary: str
    status: str  # open | reverted | accepted | covered | superseded | device_removed | closed
    hours_to_close: float | None
    carried_over: bool  # opened before the month, still open when it began


def summarize(item: ItemRow) -> str:
    """A one-line account of the change: the first line added or removed, and how many more."""
    lines = [f"+ {a}" for a in item.added] + [f"- {r}" for r in item.removed]
    if not lines:
        return " > ".join(item.path)
    more = len(lines) - 1
    head = lines[0].strip()
    head = head if len(head) <= 70 else head[:69] + "…"
    return scrub(head + (f" (+{more})" if more else ""))


def _status(item: ItemRow, end: datetime) -> str:
    if item.closed_at is None or item.closed_at >= end:
        return "open"
    reason = item.close_reason or "closed"
    return "covered" if reason == "authorized" else reason


def unauthorized_rows(d: MonthInput, m: Month) -> list[UnauthorizedRow]:
    """Changes unauthorized when seen, opened in the month or still open when it began."""
    wanted = [
        i
        for i in d.items
        if i.is_change
        and not i.authorized_at_once
        and (m.contains(i.opened_at) or i.open_at(m.start))
    ]
    rows = []
    for item in sorted(wanted, key=lambda i: (i.opened_at, i.id)):
        closed_in_time = item.closed_at is not None and item.closed_at < m.end
        rows.append(
            UnauthorizedRow(
                item=item,
                summary=summarize(item),
                status=_status(item, m.end),
                hours_to_close=item.hours_to_close() if closed_in_time else None,
                carried_over=item.opened_at < m.start,
            )
        )
    return rows


@dataclass(frozen=True)
class InterventionRow:
    """Section 5: a ticket whose window fell in the month, and what the polls saw."""

    ticket: Ticket
    inside: tuple[ItemRow, ...]  # changes it authorized
    outside: tuple[ItemRow, ...]  # changes on its devices during its window that it did not cover
    report: str | None


def _in_window(item: ItemRow, ticket: Ticket) -> bool:
    return ticket.start <= item.opened_at and (
        item.appeared_after is None or item.appeared_after <= ticket.end
    )


def intervention_rows(d: MonthInput, m: Month) -> list[InterventionRow]:
    """Every ticket of the month with the changes inside and outside its scope."""
    rows = []
    for ticket in month_tickets(d, m):
        inside = tuple(i for i in d.items if i.is_change and i.ticket_id == ticket.id
                       and i.verdict == "authorized")  # fmt: skip
        outside = tuple(
            i
            for i in d.items
            if i.is_change
            and not i.authorized_at_once
            and (i.device in ticket.devices or ticket.whole_site)
            and _in_window(i, ticket)
        )
        rows.append(InterventionRow(ticket, inside, outside, d.intervention_reports.get(ticket.id)))
    return rows


@dataclass(frozen=True)
class TransitionalStep:
    """Section 6: a transitional ticket's changes and their state at the end of the month."""

    ticket: Ticket
    items: tuple[ItemRow, ...]  # its changes still in place at the end of the month
    state: str  # running | expired | removed | definitive

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(sorted({i.device for i in self.items})) or self.ticket.devices


def _undone_by(item: ItemRow, others: list[ItemRow], when: datetime) -> bool:
    return any(
        o.id != item.id
        and o.opened_at < when
        and o.opened_at >= item.opened_at
        and o.device == item.device
        and o.path == item.path
        and sorted(o.added) == sorted(item.removed)
        and sorted(o.removed) == sorted(item.added)
        for o in others
    )


def _made_definitive(ticket: Ticket, items: tuple[ItemRow, ...], d: MonthInput) -> bool:
    categories = {Category(i.category) for i in items}
    return any(
        t.kind == TicketKind.DEFINITIVE
        and authorizes(t)
        and t.covers_until() >= ticket.start
        and all(i.device in t.devices or t.whole_site for i in items)
        and categories <= set(t.categories)
        for t in d.tickets
    )


def transitional_steps(d: MonthInput, m: Month) -> list[TransitionalStep]:
    """Transitional tickets that had changes in place during the month, with their state."""
    steps = []
    for ticket in sorted(d.tickets, key=lambda t: (t.start, t.id)):
        if ticket.kind != TicketKind.TRANSITIONAL or not authorizes(ticket):
            continue
        mine = [i for i in d.items if i.ticket_id == ticket.id and i.verdict == "authorized"]
        made = [i for i in mine if i.opened_at < m.end]
        if not made or ticket.start >= m.end:
            continue
        in_place = tuple(i for i in made if not _undone_by(i, mine, m.end))
        first_made = min(i.opened_at for i in made)
        undone_before = not in_place and all(_undone_by(i, mine, m.start) for i in made)
        if undone_before and first_made < m.start:
            continue  # over before the month began
        steps.append(TransitionalStep(ticket, in_place, _step_state(ticket, in_place, d, m)))
    return steps


def _step_state(ticket: Ticket, in_place: tuple[ItemRow, ...], d: MonthInput, m: Month) -> str:
    if not in_place:
        return "removed"
    if ticket.expires_at is not None and ticket.expires_at <= m.end:
        return "definitive" if _made_definitive(ticket, in_place, d) else "expired"
    return "running"


@dataclass(frozen=True)
class Availability:
    """Section 7: one device's polls in the month."""

    device: str
    ok: int
    failed: int
    quarantined: int
    longest_unreachable_h: float | None
    hostkey_changes: int
    swapped: str | None  # "old serial (model) → new serial (model)"
    upgraded: str | None  # "old OS → new OS"
    added: bool
    removed: bool


def _longest_outage(rows: list[DevicePollRow], m: Month) -> float | None:
    """Longest time from a failed poll to the next good one (or the end of the month)."""
    longest: timedelta | None = None
    since: datetime | None = None
    for row in rows:
        if row.status == "failed":
            since = since or row.at
            continue
        if since is not None and row.status in GOOD_STATUSES:
            gap = min(row.at, m.end) - max(since, m.start)
            if gap > timedelta(0):  # an outage over before the month began is not the month's
                longest = gap if longest is None else max(longest, gap)
            since = None
    if since is not None:
        gap = m.end - max(since, m.start)
        longest = gap if longest is None else max(longest, gap)
    return None if longest is None else round(longest.total_seconds() / 3600, 1)


def _swap(before: Identity | None, after: Identity | None) -> tuple[str | None, str | None]:
    if before is None or after is None:
        return None, None
    swapped = upgraded = None
    if (before.serial, before.model) != (after.serial, after.model):
        swapped = f"{before.serial} ({before.model}) → {after.serial} ({after.model})"
    if before.os_version != after.os_version:
        upgraded = f"{before.os_version} → {after.os_version}"
    return swapped, upgraded


def availability_rows(d: MonthInput, m: Month) -> list[Availability]:
    """Every device polled in the month, added or removed in it."""
    by_device: dict[str, list[DevicePollRow]] = {}
    for row in sorted(d.device_polls, key=lambda r: r.at):
        by_device.setdefault(row.device, []).append(row)
    known = {r.name: r for r in d.devices}
    names = {n for n, rows in by_device.items() if any(m.contains(r.at) for r in rows)}
    names |= {r.name for r in d.devices if m.contains(r.removed_at)}
    out = []
    for name in sorted(names):
        rows = by_device.get(name, [])
        inside = [r for r in rows if m.contains(r.at)]
        device = known.get(name, DeviceRow(name))
        swapped, upgraded = _swap(d.identity_before.get(name), d.identity_after.get(name))
        out.append(
            Availability(
                device=name,
                ok=sum(r.count for r in inside if r.status in GOOD_STATUSES),
                failed=sum(r.count for r in inside if r.status == "failed"),
                quarantined=sum(r.count for r in inside if r.status == "quarantined"),
                longest_unreachable_h=_longest_outage([r for r in rows if r.at < m.end], m),
                hostkey_changes=sum(
                    1
                    for e in d.events
                    if e.kind == "hostkey_changed" and e.device == name and m.contains(e.at)
                ),
                swapped=swapped,
                upgraded=upgraded,
                added=m.contains(device.first_poll_at),
                removed=m.contains(device.removed_at),
            )
        )
    return out


@dataclass(frozen=True)
class OpenPoint:
    """Section 8: something carried into next month, and who is expected to do what."""

    kind: str  # unauthorized | transitional_expired
    device: str
    subject: str
    since: datetime
    reference: str  # drift item id or ticket id


def open_points(d: MonthInput, m: Month, steps: list[TransitionalStep]) -> list[OpenPoint]:
    """Open unauthorized changes and expired transitional steps at the end of the month."""
    points = [
        OpenPoint("unauthorized", i.device, summarize(i), i.opened_at, str(i.id))
        for i in open_unauthorized(d, m.end)
    ]
    for step in steps:
        if step.state == "expired" and step.ticket.expires_at is not None:
            points.append(
                OpenPoint(
                    "transitional_expired",
                    ", ".join(step.devices),
                    step.ticket.title,
                    step.ticket.expires_at,
                    step.ticket.id,
                )
            )
    return points
