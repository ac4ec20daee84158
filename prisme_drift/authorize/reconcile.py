"""Verdicts applied to a device's hunks during a poll.

New hunks are judged against the tickets; open unauthorized items are judged again (a ticket
approved after the fact may cover the moment they appeared). Authorized hunks are returned so
that the approved baseline moves forward by exactly them. A hunk that undoes a change made
under a transitional ticket is the planned end of that change, authorized by the same ticket.
Transitional changes still present after their expiry open their own item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.authorize.model import DeviceRef, Ticket, TicketKind
from prisme_drift.authorize.verdicts import authorizes, judge
from prisme_drift.models import Category, Hunk
from prisme_drift.store.models import DriftItem

TRANSITIONAL_PREFIX = "transitional:"


@dataclass
class Outcome:
    """What reconciling one device's hunks decided."""

    moved: list[tuple[Hunk, str]] = field(default_factory=list)  # (hunk, ticket id)
    opened: list[DriftItem] = field(default_factory=list)
    closed: list[DriftItem] = field(default_factory=list)
    authorized: list[DriftItem] = field(default_factory=list)


def undoes(hunk: Hunk, item: DriftItem) -> bool:
    """Whether ``hunk`` exactly undoes the change ``item`` recorded."""
    return (
        tuple(item.path) == hunk.path
        and item.category == str(hunk.category)
        and sorted(item.added) == sorted(hunk.removed)
        and sorted(item.removed) == sorted(hunk.added)
    )


def transitional_items(
    session: Session, device_id: int, tickets: dict[str, Ticket]
) -> list[DriftItem]:
    """Changes authorized by transitional tickets and still in place (not yet undone)."""
    ids = [t.id for t in tickets.values() if t.kind == TicketKind.TRANSITIONAL]
    if not ids:
        return []
    query = select(DriftItem).where(
        DriftItem.device_id == device_id,
        DriftItem.verdict == "authorized",
        DriftItem.close_reason == "authorized",
        DriftItem.ticket_id.in_(ids),
    )
    return list(session.scalars(query))


NewVerdict = tuple[str, str | None, str | None, DriftItem | None]


def judge_new(
    hunk: Hunk,
    device: DeviceRef,
    after: datetime | None,
    seen: datetime,
    tickets: Iterable[Ticket],
    in_place: list[DriftItem],
) -> NewVerdict:
    """(verdict, reason, ticket id, transitional item it undoes) for a hunk seen first now."""
    for item in in_place:
        if undoes(hunk, item):
            return "authorized", None, item.ticket_id, item
    v = judge(hunk.category, device, after, seen, tickets)
    return v.verdict, v.reason, v.ticket_id, None


def expired_transitionals(
    in_place: list[DriftItem], tickets: dict[str, Ticket], now: datetime, device: DeviceRef
) -> list[DriftItem]:
    """In-place transitional changes whose ticket expired and no definitive ticket covers."""
    out = []
    for item in in_place:
        ticket = tickets.get(item.ticket_id or "")
        if ticket is None or ticket.expires_at is None or ticket.expires_at > now:
            continue
        if not made_definitive(item, tickets.values(), device, ticket):
            out.append(item)
    return out


def made_definitive(
    item: DriftItem, tickets: Iterable[Ticket], device: DeviceRef, transitional: Ticket
) -> bool:
    """A definitive, authorizing ticket for this device and category, after the transitional one
    (and not closed before it started: a closed ticket covers nothing after its closing)."""
    return any(
        t.kind == TicketKind.DEFINITIVE
        and authorizes(t)
        and t.covers_device(device)
        and Category(item.category) in t.categories
        and t.covers_until() >= transitional.start
        for t in tickets
    )
