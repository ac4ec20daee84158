"""A poll's drift items: each device's hunks reconciled with the tickets, devices gone from
the inventory, and the events the tickets raise (refused tickets, expired transitional changes).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.authorize.poll_auth import ACTOR, PollAuthorizer
from prisme_drift.baseline import APPROVED, BaselineRepo
from prisme_drift.classify import diff_snapshots
from prisme_drift.classify.remediation import remediation_lines
from prisme_drift.drift.items import open_items
from prisme_drift.drift.reconcile import DeviceResult, DriftReconciler
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.notify.poll_events import Removal
from prisme_drift.poll.baselines import approve
from prisme_drift.poll.judge import Judged
from prisme_drift.profiles import get_profile
from prisme_drift.store.models import Device, DriftItem, Poll

log = logging.getLogger(__name__)


def remove_missing(
    session: Session, site: str, inventory: set[str], poll: Poll, auth: PollAuthorizer
) -> list[Removal]:
    """Devices known to the site but gone from the inventory: marked removed, their open drift
    items closed as ``device_removed`` (nothing watches them any more), their baseline kept."""
    gone = session.scalars(
        select(Device)
        .where(Device.site == site, Device.removed_at.is_(None), Device.name.not_in(inventory))
        .order_by(Device.name)
    )
    removals = []
    for row in gone:
        row.removed_at = poll.started_at
        items = open_items(session, site, row.id)
        for item in items:
            item.closed_at, item.closed_poll_id = poll.started_at, poll.id
            item.close_reason = "device_removed"
        auth.audit.append(
            "prisme-drift",
            "device.removed",
            row.name,
            {"poll": poll.id, "closed_items": [i.id for i in items], "baseline": "kept"},
        )
        log.warning(
            "[%s] %s: removed from the inventory; %d open drift item(s) closed, baseline kept",
            site,
            row.name,
            len(items),
        )
        removals.append(Removal(row, tuple(items)))
    return removals


def open_by_device(session: Session, site: str) -> dict[int, list[DriftItem]]:
    """The site's open drift items by device id, in one query (not one per device)."""
    found: dict[int, list[DriftItem]] = {}
    for item in open_items(session, site):
        found.setdefault(item.device_id, []).append(item)
    return found


def drift_for_device(
    session: Session,
    repo: BaselineRepo,
    row: Device,
    j: Judged,
    poll: Poll,
    previous_success: datetime | None,
    reconciler: DriftReconciler,
    existing: list[DriftItem] | None = None,
) -> tuple[list[int], list[int]]:
    """Hunks approved -> observed, judged against the tickets; approved moves by the authorized.

    ``existing``: the device's open items (from ``open_by_device``); None: read them here.
    """
    assert j.snapshot is not None
    approved = repo.read(APPROVED, row.name, row.platform)
    if approved is None:
        return [], []
    profile = get_profile(row.platform)
    j.hunks = diff_snapshots(approved, j.snapshot, profile)
    remediation = remediation_lines(approved.config, j.snapshot.config, profile) if j.hunks else []
    if existing is None:
        existing = open_items(session, row.site, row.id)
    result = reconciler.reconcile(row, j.hunks, remediation, poll, previous_success, existing)
    _record_expiries(session, reconciler.auth, row, poll, result)
    if result.moved:
        approve(repo, reconciler.auth, row, approved, j.snapshot, j.hunks, result.moved, poll)
    return result.opened, result.closed


def _record_expiries(
    session: Session, auth: PollAuthorizer, row: Device, poll: Poll, result: DeviceResult
) -> None:
    """Alert (and audit) each transitional change found in place after its ticket expired."""
    for expiry in result.expired:
        item = expiry.item
        record_event(
            session,
            auth.settings,
            EventKind.TRANSITIONAL_EXPIRED,
            str(item.id),
            payload=expiry.payload,
            device=row.name,
            drift_item_id=item.id,
            poll_id=poll.id,
            at=poll.started_at,
        )
        auth.audit.append(
            ACTOR, "transitional.expired", f"{row.name} item {item.id}", expiry.payload
        )


def report_refusals(auth: PollAuthorizer, poll: Poll) -> None:
    """Log every refused ticket at each poll; alert (and audit) each version of it once."""
    site = auth.settings.site.name
    for refusal in auth.refused:
        log.warning("[%s] tickets: %s", site, refusal.line())
        payload: dict[str, Any] = {
            "ticket": refusal.ticket.id,
            "title": refusal.ticket.title,
            "source": refusal.ticket.source,
            "where": refusal.where,
            "reasons": list(refusal.reasons),
            "digest": refusal.digest,
        }
        event = record_event(
            auth.session,
            auth.settings,
            EventKind.TICKET_REFUSED,
            f"{refusal.ticket.id}:{refusal.digest}",
            payload=payload,
            poll_id=poll.id,
            at=poll.started_at,
        )
        if event is not None:
            auth.audit.append(ACTOR, "ticket.refused", refusal.ticket.id, payload)
