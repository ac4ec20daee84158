"""The fixed set of events, recorded once each, in the caller's database transaction.

Dedupe is by construction: an event's ``dedupe_key`` names the thing it reports (a drift item,
one outage of a device, one streak of quarantined fetches, a heartbeat period...) and the table
allows one row per key and site. Recording the same thing again is a no-op, so a poll can call
these functions every time without ever alerting twice.

A poll's own events are decided in ``poll_events``; the poll raises ``transitional_expired`` and
``ticket_refused``, the daemon ``job_failed``, the fleet sync ``fleet_push_rejected``
(``fleet.pushalert``), each through :func:`record_event` in the same transaction as their own
writes. ``catchup`` brings a channel the standing events it never
carried.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.notify.outbox import queue_message
from prisme_drift.scrub import scrub_data
from prisme_drift.store.models import Event
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    """Everything prisme-drift notifies about (docs/alerts.md)."""

    DRIFT_OPENED = "drift_opened"
    DRIFT_CLOSED = "drift_closed"
    TRANSITIONAL_EXPIRED = "transitional_expired"
    TICKET_REFUSED = "ticket_refused"
    DEVICE_UNREACHABLE = "device_unreachable"
    DEVICE_RECOVERED = "device_recovered"
    FETCH_QUARANTINED = "fetch_quarantined"
    HOSTKEY_CHANGED = "hostkey_changed"
    DEVICE_REMOVED = "device_removed"
    JOB_FAILED = "job_failed"
    FLEET_PUSH_REJECTED = "fleet_push_rejected"  # fleet.pushalert: the central git diverged
    DOCUMENT = "document"  # a client document sent by email (notify/documents.py)
    HEARTBEAT = "heartbeat"


def key_exists(session: Session, site: str, dedupe_key: str) -> bool:
    query = select(Event.id).where(Event.site == site, Event.dedupe_key == dedupe_key)
    return session.scalar(query) is not None


def record_event(
    session: Session,
    settings: Settings,
    kind: EventKind,
    key: str,
    *,
    payload: dict[str, Any],
    device: str | None = None,
    drift_item_id: int | None = None,
    poll_id: int | None = None,
    at: datetime | None = None,
    queue: bool = True,
) -> Event | None:
    """Record ``kind`` for the thing named ``key``, once; None if it was already recorded.

    With ``queue`` (the default) the event gets its own outbox message on every configured
    channel, in the same transaction. ``payload`` must be plain JSON and hold no secret.
    """
    site = settings.site.name
    dedupe_key = f"{kind}:{key}"
    if key_exists(session, site, dedupe_key):
        return None
    event = Event(
        site=site,
        kind=str(kind),
        dedupe_key=dedupe_key,
        device=device,
        drift_item_id=drift_item_id,
        poll_id=poll_id,
        payload=scrub_data(payload),  # the last net: payloads reach the table, mail, webhooks
        created_at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    log.info("[%s] event %s %s", site, dedupe_key, device or "")
    if queue:
        queue_message(session, settings, [event], group_key=dedupe_key, now=event.created_at)
    return event
