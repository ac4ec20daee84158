"""Transitional changes: their planned end, and their expiry.

A hunk that undoes a change made under a transitional ticket is the planned end of that change,
authorized by the same ticket. Transitional changes still present after their expiry, with no
definitive ticket taking them over, open their own item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.authorize.model import Ticket, TicketKind
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.models import Category, DeviceRef, Hunk
from prisme_drift.store.models import DriftItem

TRANSITIONAL_PREFIX = "transitional:"


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
