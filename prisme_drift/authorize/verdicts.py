"""Verdicts: is a hunk covered by an approved ticket for its device, category and interval?

A hunk appeared somewhere in (previous good poll, poll that saw it]. It is authorized only when
one approved ticket covers its device, its category, and a window that meets that interval; a
restricted device (manufacturer perimeter) also needs the ticket to carry a written mandate.
Otherwise the reason names the check that the closest ticket failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prisme_drift.authorize.model import Ticket, TicketStatus, Verdict
from prisme_drift.models import Category, DeviceRef


def window_meets(ticket: Ticket, after: datetime | None, seen: datetime) -> bool:
    """Whether the ticket's window meets the interval (after, seen]; no ``after``: just seen."""
    start = after if after is not None else seen
    return ticket.start <= seen and ticket.end >= start


def before_close(ticket: Ticket, seen: datetime) -> bool:
    """Whether the change happened before the ticket was closed (always, for an open ticket).

    The change happened somewhere in (after, seen]; when the closing falls inside that interval
    nobody can tell which came first, so it counts as covered only when the poll that saw the
    change ran no later than the closing (``seen <= closed_at``): conservative, never the other
    way round.
    """
    return ticket.closed_at is None or seen <= ticket.closed_at


Check = Callable[[Ticket], bool]

# A closed ticket still covers what happened inside its window *before it was closed*.
AUTHORIZING = (TicketStatus.APPROVED, TicketStatus.CLOSED)


def authorizes(ticket: Ticket) -> bool:
    """Approved (or approved and since closed), with its written approval on record."""
    return ticket.status in AUTHORIZING and ticket.approval is not None


def _checks(
    device: DeviceRef, category: Category, after: datetime | None, seen: datetime
) -> list[tuple[str, Check]]:
    """In order; the reason of the first failure of the closest ticket is the verdict's reason."""
    return [
        ("device_not_in_scope", lambda t: t.covers_device(device)),
        ("ticket_not_approved", authorizes),
        ("category_not_in_scope", lambda t: category in t.categories),
        ("outside_window", lambda t: window_meets(t, after, seen)),
        ("ticket_closed", lambda t: before_close(t, seen)),
        ("mandate_missing", lambda t: device.restricted is None or bool(t.mandate)),
    ]


def _progress(ticket: Ticket, checks: list[tuple[str, Check]]) -> tuple[int, str | None]:
    for passed, (reason, check) in enumerate(checks):
        if not check(ticket):
            return passed, reason
    return len(checks), None


def judge(
    category: Category,
    device: DeviceRef,
    after: datetime | None,
    seen: datetime,
    tickets: Iterable[Ticket],
) -> Verdict:
    """The verdict on one hunk of ``device`` that appeared in (after, seen]."""
    checks = _checks(device, category, after, seen)
    candidates = sorted(tickets, key=lambda t: t.id)
    best: tuple[int, str | None, Ticket | None] = (-1, "no_ticket", None)
    for candidate in candidates:
        passed, failed = _progress(candidate, checks)
        if failed is None:
            return Verdict(verdict="authorized", ticket_id=candidate.id)
        if passed > best[0]:
            best = (passed, failed, candidate)
    passed, reason, ticket = best
    if ticket is None or (
        passed == 0 and not _would_match_elsewhere(category, after, seen, candidates)
    ):
        reason = "no_ticket"
    if device.restricted and not any(t.mandate and t.covers_device(device) for t in candidates):
        # In a manufacturer perimeter the missing mandate is the breach that matters most.
        reason = "mandate_missing"
    return Verdict(
        verdict="unauthorized",
        reason=reason,
        ticket_id=ticket.id if ticket and passed > 0 else None,
    )


def _would_match_elsewhere(
    category: Category, after: datetime | None, seen: datetime, tickets: Iterable[Ticket]
) -> bool:
    """An approved ticket for this category and moment exists, only for other devices."""
    return any(
        authorizes(t)
        and category in t.categories
        and window_meets(t, after, seen)
        and before_close(t, seen)
        for t in tickets
    )


@dataclass(frozen=True)
class WindowEdge:
    """A ticket window's start or end: the daemon takes a snapshot at each."""

    at: datetime
    edge: str  # start | end
    ticket_id: str


def upcoming_windows(
    tickets: Iterable[Ticket], now: datetime, horizon: timedelta = timedelta(days=7)
) -> list[WindowEdge]:
    """Starts and ends of approved tickets' windows within ``horizon`` of ``now``, in order."""
    edges = []
    for ticket in tickets:
        if ticket.status != TicketStatus.APPROVED:
            continue
        for edge, at in (("start", ticket.start), ("end", ticket.end)):
            if now <= at <= now + horizon:
                edges.append(WindowEdge(at, edge, ticket.id))
    return sorted(edges, key=lambda e: (e.at, e.ticket_id, e.edge))
