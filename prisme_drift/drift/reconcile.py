"""Reconciling a device's hunks with its drift items during a poll.

New hunks are judged against the tickets; open unauthorized items are judged again (a ticket
approved after the fact may cover the moment they appeared); items whose hunk is gone close
(``reverted``, or ``superseded`` by a new shape of the change at the same place). Authorized
hunks are returned so that the approved baseline moves forward by exactly them. Transitional
changes still present after their expiry open their own item; the caller raises their event
(``Expiry``), since alerts sit above drift in the layers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.poll_auth import ACTOR, PollAuthorizer
from prisme_drift.authorize.verdicts import judge
from prisme_drift.classify.remediation import remediation_for
from prisme_drift.drift.items import hunk_of
from prisme_drift.drift.transitional import (
    TRANSITIONAL_PREFIX,
    expired_transitionals,
    transitional_items,
    undoes,
)
from prisme_drift.models import DeviceRef, Hunk
from prisme_drift.profiles import get_profile
from prisme_drift.store.models import Device, DriftItem, Poll


def _share(hunk: Hunk, remediation: list[str], platform: str) -> list[str]:
    """The hunk's share of the device's remediation, cut by the platform profile's words."""
    return remediation_for(hunk, remediation, get_profile(platform)) if remediation else []


@dataclass(frozen=True)
class Expiry:
    """A transitional change found still in place after its ticket expired: the item opened for
    it and the payload of its ``transitional_expired`` event and audit entry."""

    item: DriftItem
    payload: dict[str, Any]


@dataclass
class DeviceResult:
    """What reconciling one device did."""

    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    moved: list[tuple[Hunk, str]] = field(default_factory=list)  # authorized: (hunk, ticket id)
    expired: list[Expiry] = field(default_factory=list)


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


class DriftReconciler:
    """Opens, keeps, authorizes and closes drift items against the poll's tickets."""

    def __init__(self, auth: PollAuthorizer) -> None:
        self.auth = auth
        self.session = auth.session

    def reconcile(
        self,
        row: Device,
        hunks: list[Hunk],
        remediation: list[str],
        poll: Poll,
        appeared_after: datetime | None,
        existing: list[DriftItem],
    ) -> DeviceResult:
        """Open, keep, authorize or close the device's items; returns the hunks to approve."""
        result = DeviceResult()
        now = poll.started_at
        current = {h.fingerprint(row.name): h for h in hunks}
        hunk_items = {i.fingerprint: i for i in existing if i.reason != "transitional_expired"}
        self._known(row, hunk_items, current, poll, result)
        self._gone(hunk_items, current, hunks, poll, result)
        in_place = transitional_items(self.session, row.id, self.auth.tickets)
        for fp, hunk in current.items():
            if fp not in hunk_items:
                self._new(row, fp, hunk, remediation, poll, appeared_after, in_place, result)
        still = [i for i in in_place if i.close_reason == "authorized"]
        self._transitional(row, still, existing, now, poll, result)
        return result

    def _known(
        self,
        row: Device,
        items: dict[str, DriftItem],
        current: dict[str, Hunk],
        poll: Poll,
        result: DeviceResult,
    ) -> None:
        """Open items still there: seen again, and authorized if a ticket now covers them."""
        for fp, item in items.items():
            if fp not in current:
                continue
            item.last_seen_at = poll.started_at
            v = judge(
                current[fp].category,
                self.auth.ref(row),
                item.appeared_after,
                item.opened_at,
                self.auth.tickets.values(),
            )
            if v.authorized and v.ticket_id:
                self._close(
                    item, poll, "authorized", result, verdict="authorized", ticket=v.ticket_id
                )
                result.moved.append((current[fp], v.ticket_id))
            elif v.reason != item.reason:
                item.reason, item.ticket_id = v.reason, v.ticket_id

    def _gone(
        self,
        items: dict[str, DriftItem],
        current: dict[str, Hunk],
        hunks: list[Hunk],
        poll: Poll,
        result: DeviceResult,
    ) -> None:
        places = {(tuple(h.path), str(h.category)) for h in hunks}
        for fp, item in items.items():
            if fp in current:
                continue
            same_place = (tuple(item.path), item.category) in places
            self._close(item, poll, "superseded" if same_place else "reverted", result)

    def _new(
        self,
        row: Device,
        fp: str,
        hunk: Hunk,
        remediation: list[str],
        poll: Poll,
        appeared_after: datetime | None,
        in_place: list[DriftItem],
        result: DeviceResult,
    ) -> None:
        verdict, reason, ticket_id, undone = judge_new(
            hunk,
            self.auth.ref(row),
            appeared_after,
            poll.started_at,
            self.auth.tickets.values(),
            in_place,
        )
        item = self._item(
            row, fp, hunk, remediation, poll, appeared_after, verdict, reason, ticket_id
        )
        if verdict == "authorized" and ticket_id:
            item.closed_at, item.closed_poll_id, item.close_reason = (
                poll.started_at,
                poll.id,
                "authorized",
            )
            result.moved.append((hunk, ticket_id))
            if undone is not None:
                undone.close_reason = "transitional_removed"
        else:
            result.opened.append(item.id)
        self.auth.audit.append(
            ACTOR,
            f"verdict.{verdict}",
            f"{row.name} item {item.id}",
            {
                "category": str(hunk.category),
                "reason": reason,
                "ticket": ticket_id,
                "path": list(hunk.path),
                "lines": hunk.lines(),
                "poll": poll.id,
            },
        )

    def _item(
        self,
        row: Device,
        fp: str,
        hunk: Hunk,
        remediation: list[str],
        poll: Poll,
        appeared_after: datetime | None,
        verdict: str,
        reason: str | None,
        ticket_id: str | None,
    ) -> DriftItem:
        item = DriftItem(
            site=row.site,
            device_id=row.id,
            fingerprint=fp,
            category=str(hunk.category),
            path=list(hunk.path),
            removed=list(hunk.removed),
            added=list(hunk.added),
            remediation=_share(hunk, remediation, row.platform),
            verdict=verdict,
            reason=reason,
            ticket_id=ticket_id,
            appeared_after=appeared_after,
            opened_at=poll.started_at,
            opened_poll_id=poll.id,
            last_seen_at=poll.started_at,
        )
        self.session.add(item)
        self.session.flush()
        return item

    def _close(
        self,
        item: DriftItem,
        poll: Poll,
        why: str,
        result: DeviceResult,
        verdict: str | None = None,
        ticket: str | None = None,
    ) -> None:
        item.closed_at, item.closed_poll_id, item.close_reason = poll.started_at, poll.id, why
        if verdict:
            item.verdict, item.reason, item.ticket_id = verdict, None, ticket
        result.closed.append(item.id)

    def _transitional(
        self,
        row: Device,
        in_place: list[DriftItem],
        existing: list[DriftItem],
        now: datetime,
        poll: Poll,
        result: DeviceResult,
    ) -> None:
        """Open an item per expired transitional change still present; close those resolved."""
        open_by_fp = {i.fingerprint: i for i in existing if i.reason == "transitional_expired"}
        expired = expired_transitionals(in_place, self.auth.tickets, now, self.auth.ref(row))
        wanted = {TRANSITIONAL_PREFIX + i.fingerprint: i for i in expired}
        for fp, item in open_by_fp.items():
            if fp not in wanted:
                self._close(item, poll, "resolved", result)
        for fp, original in wanted.items():
            if fp not in open_by_fp:
                self._expired_item(row, fp, original, poll, result)

    def _expired_item(
        self, row: Device, fp: str, original: DriftItem, poll: Poll, result: DeviceResult
    ) -> None:
        hunk = hunk_of(original)
        ticket = self.auth.tickets[original.ticket_id or ""]
        item = self._item(
            row,
            fp,
            hunk,
            list(original.remediation or []),
            poll,
            original.opened_at,
            "unauthorized",
            "transitional_expired",
            ticket.id,
        )
        result.opened.append(item.id)
        payload: dict[str, Any] = {
            "device": row.name,
            "ticket": ticket.id,
            "title": ticket.title,
            "expired_at": ticket.expires_at.isoformat() if ticket.expires_at else None,
            "category": original.category,
            "path": list(original.path),
            "lines": hunk.lines(),
            "drift_item": item.id,
        }
        result.expired.append(Expiry(item, payload))
