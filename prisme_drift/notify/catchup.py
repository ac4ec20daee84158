"""Catch-up: a channel that never carried a standing event (no channel was configured when it
was recorded, or the channel was added since) gets it once, while its drift item is open."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.notify.events import EventKind
from prisme_drift.notify.outbox import queue_message
from prisme_drift.store.models import DriftItem, Event, OutboxEvent, OutboxMessage

log = logging.getLogger(__name__)


#: Events that stay true while their drift item is open: a channel that did not carry one
#: (no channel was configured when it was recorded, or the channel was added since) gets it once.
STANDING = (EventKind.DRIFT_OPENED, EventKind.TRANSITIONAL_EXPIRED)


def _not_carried_on(channel: str, site: str) -> Any:
    """SQL condition: the event is in no message of ``channel`` (sent, pending, failed, digest)."""
    carried = (
        select(OutboxEvent.event_id)
        .join(OutboxMessage, OutboxMessage.id == OutboxEvent.outbox_id)
        .where(OutboxMessage.site == site, OutboxMessage.channel == channel)
    )
    return Event.id.not_in(carried)


def queue_catch_up(
    session: Session, settings: Settings, channels: Sequence[str], now: datetime
) -> list[OutboxMessage]:
    """Per channel, one message with the standing events of still-open items it never carried.

    Idempotent: once queued, the events are carried on that channel and never queued there
    again; the message's group key is made of their ids, so two senders racing to queue the
    same catch-up collide on the outbox's unique key instead of sending it twice.
    """
    site = settings.site.name
    messages: list[OutboxMessage] = []
    for channel in channels:
        query = (
            select(Event)
            .join(DriftItem, DriftItem.id == Event.drift_item_id)
            .where(
                Event.site == site,
                Event.kind.in_([str(k) for k in STANDING]),
                DriftItem.closed_at.is_(None),
                _not_carried_on(channel, site),
            )
            .order_by(Event.id)
        )
        events = list(session.scalars(query))
        if not events:
            continue
        ids = ",".join(str(e.id) for e in events)
        key = "catch-up:" + hashlib.sha256(ids.encode()).hexdigest()[:16]
        log.info("[%s] %d open item(s) never notified on %s: queued", site, len(events), channel)
        messages += queue_message(
            session, settings, events, group_key=key, now=now, channels=[channel]
        )
    return messages
