"""The outbox: notifications written with the events they carry, delivered later, exactly once.

A message is created ``pending`` in the transaction that records its events. The sender claims
it with a lease (a conditional UPDATE, so two senders never deliver the same message), delivers
it, and marks it ``sent`` right after the server accepted it. A failure schedules the next try
with exponential backoff until ``give_up_at`` (``[notify] retry_for_hours``), then ``failed``.
The only duplicate window: a crash after the server accepted and before the mark is written;
the lease then expires and the message goes out again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from prisme_drift.config import NotifySettings, Settings
from prisme_drift.notify.notifier import (
    EventView,
    Notification,
    NotifyError,
    OutboxBusyError,
    OutboxRefusedError,
)
from prisme_drift.notify.registry import configured_channels
from prisme_drift.store.models import Event, OutboxMessage
from prisme_drift.timefmt import iso, local_time

PENDING, SENT, FAILED, DIGESTED = "pending", "sent", "failed", "digested"
#: A document's email replaced by a newer version before it was sent: never sent.
SUPERSEDED = "superseded"
#: How long a sender's claim on a message lasts; longer than any delivery (timeouts included).
LEASE = timedelta(minutes=15)
STORM_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxView:
    """A message as ``outbox list`` shows it."""

    id: int
    channel: str
    kind: str
    status: str
    summary: str
    events: int
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    give_up_at: datetime
    last_error: str | None
    digest_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "kind": self.kind,
            "status": self.status,
            "summary": self.summary,
            "events": self.events,
            "attempts": self.attempts,
            "created_at": iso(self.created_at),
            "next_attempt_at": iso(self.next_attempt_at),
            "sent_at": iso(self.sent_at),
            "give_up_at": iso(self.give_up_at),
            "last_error": self.last_error,
            "digest_id": self.digest_id,
        }


def summarize(events: Sequence[Event]) -> str:
    """A short, language-neutral line for listings: ``drift_opened sw02 (vlan)``, counts else."""
    if len(events) == 1:
        e = events[0]
        category = e.payload.get("category")
        return " ".join(
            p for p in (e.kind, e.device or "", f"({category})" if category else "") if p
        )
    counts = Counter(e.kind for e in events)
    return f"{len(events)} events: " + ", ".join(f"{k} x{n}" for k, n in sorted(counts.items()))


def _new_message(
    site: str,
    channel: str,
    group_key: str,
    kind: str,
    events: Sequence[Event],
    now: datetime,
    notify: NotifySettings,
) -> OutboxMessage:
    return OutboxMessage(
        site=site,
        channel=channel,
        group_key=group_key,
        kind=kind,
        status=PENDING,
        summary=summarize(events)[:255],
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=notify.retry_for_hours),
        events=list(events),
    )


def queue_message(
    session: Session,
    settings: Settings,
    events: Sequence[Event],
    *,
    group_key: str,
    now: datetime,
    channels: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """One pending message per configured channel (or per one of ``channels``) carrying
    ``events`` (none if no event)."""
    if not events:
        return []
    wanted = configured_channels(settings) if channels is None else channels
    messages = [
        _new_message(settings.site.name, channel, group_key, "events", events, now, settings.notify)
        for channel in wanted
    ]
    session.add_all(messages)
    session.flush()
    return messages


# --------------------------------------------------------------------------- the sender's side


def due_messages(session: Session, site: str, channel: str, now: datetime) -> list[OutboxMessage]:
    """Pending messages whose time has come and that no sender holds, oldest first."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.site == site,
            OutboxMessage.channel == channel,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .options(selectinload(OutboxMessage.events))
        .order_by(OutboxMessage.id)
    )
    return list(session.scalars(query))


def sent_since(session: Session, site: str, channel: str, since: datetime) -> int:
    """How many messages went out on ``channel`` since ``since`` (for the storm limit)."""
    query = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.site == site,
        OutboxMessage.channel == channel,
        OutboxMessage.status == SENT,
        OutboxMessage.sent_at > since,
    )
    return session.scalar(query) or 0


def plan_storm(due: Sequence[int], sent_recently: int, limit: int) -> tuple[list[int], list[int]]:
    """Split due messages into (send as they are, roll into one digest) under ``limit`` per hour.

    With room for ``budget`` more messages: all of them if they fit, else ``budget - 1`` and one
    digest of the rest. With no room at all, nothing now (they wait for the window to move).
    """
    budget = limit - sent_recently
    if budget <= 0:
        return [], []
    if len(due) <= budget:
        return list(due), []
    return list(due[: budget - 1]), list(due[budget - 1 :])


def roll_into_digest(
    session: Session, messages: Sequence[OutboxMessage], now: datetime, notify: NotifySettings
) -> OutboxMessage:
    """One pending digest carrying every event of ``messages``, which become ``digested``."""
    first = messages[0]
    events = list({e.id: e for m in messages for e in m.events}.values())
    events.sort(key=lambda e: e.id)
    digest = _new_message(
        first.site,
        first.channel,
        f"digest:{first.id}-{messages[-1].id}",
        "digest",
        events,
        now,
        notify,
    )
    digest.summary = f"digest of {len(events)} events"
    session.add(digest)
    session.flush()
    for message in messages:
        message.status, message.digest_id = DIGESTED, digest.id
    return digest


def claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take the lease on a pending message; False if it is gone, sent or held by another."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == PENDING,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def load_notification(session: Session, message_id: int) -> Notification:
    """The values a notifier needs to deliver message ``message_id``."""
    message = session.get(OutboxMessage, message_id, options=[selectinload(OutboxMessage.events)])
    if message is None:
        raise NotifyError(f"no outbox message {message_id}")
    events = tuple(
        EventView(e.id, e.kind, e.site, e.device, e.created_at, dict(e.payload))
        for e in message.events
    )
    return Notification(message.site, message.kind, events, message.created_at, message.id)


def mark_sent(session: Session, message_id: int, now: datetime, note: str | None = None) -> None:
    """The server accepted the message: never send it again."""
    message = _get(session, message_id)
    message.status, message.sent_at, message.lease_until = SENT, now, None
    message.attempts += 1
    message.last_attempt_at = now
    message.last_error = note


def backoff(attempts: int, notify: NotifySettings) -> timedelta:
    """Delay before the next try: min delay doubled per failed attempt, capped at max delay."""
    seconds = notify.retry_min_delay * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, notify.retry_max_delay))


def mark_failed(
    session: Session, message_id: int, now: datetime, error: str, notify: NotifySettings
) -> str:
    """Record a failed try; returns the new status (``failed`` once ``give_up_at`` has passed)."""
    message = _get(session, message_id)
    message.attempts += 1
    message.last_attempt_at, message.lease_until, message.last_error = now, None, error
    message.next_attempt_at = now + backoff(message.attempts, notify)
    if now >= message.give_up_at:
        message.status = FAILED
    return message.status


def _get(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotifyError(f"no outbox message {message_id}")
    return message


# --------------------------------------------------------------------------- listing and retry


def _view(message: OutboxMessage) -> OutboxView:
    return OutboxView(
        id=message.id,
        channel=message.channel,
        kind=message.kind,
        status=message.status,
        summary=message.summary,
        events=len(message.events),
        attempts=message.attempts,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at if message.status == PENDING else None,
        sent_at=message.sent_at,
        give_up_at=message.give_up_at,
        last_error=message.last_error,
        digest_id=message.digest_id,
    )


def supersede(message: OutboxMessage, why: str) -> None:
    """Withdraw a waiting message (pending or failed) that a newer one replaces: never sent."""
    if message.status not in (PENDING, FAILED):
        raise ValueError(f"outbox message {message.id} is {message.status}: nothing to withdraw")
    message.status, message.lease_until, message.last_error = SUPERSEDED, None, why


def list_messages(session: Session, site: str, include_done: bool = False) -> list[OutboxView]:
    """Pending and failed messages of the site (every message with ``include_done``)."""
    query = select(OutboxMessage).where(OutboxMessage.site == site)
    if not include_done:
        query = query.where(OutboxMessage.status.in_((PENDING, FAILED)))
    query = query.options(selectinload(OutboxMessage.events)).order_by(OutboxMessage.id)
    return [_view(m) for m in session.scalars(query)]


def revive(
    session: Session,
    site: str,
    message_id: int,
    now: datetime,
    notify: NotifySettings,
    timezone: str = "UTC",
) -> None:
    """Make a pending or failed message due now, with a fresh retry period; refusals name
    times in ``timezone`` (the site's)."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.site != site:
        raise OutboxRefusedError(
            f"no outbox message {message_id} on site {site}; see 'prisme-drift outbox list --all'"
        )
    if message.status == SENT:
        raise OutboxRefusedError(
            f"outbox message {message_id} was sent at {local_time(message.sent_at, timezone)}; "
            "not resent"
        )
    if message.status == SUPERSEDED:
        raise OutboxRefusedError(
            f"outbox message {message_id} was replaced by a newer version of its document "
            f"before it was sent ({message.last_error}); not sent"
        )
    if message.status == DIGESTED:
        raise OutboxRefusedError(
            f"outbox message {message_id} was rolled into digest {message.digest_id}; "
            f"retry that one instead"
        )
    if message.lease_until is not None and message.lease_until > now:
        raise OutboxBusyError(
            f"outbox message {message_id} is being delivered right now; look again in a minute"
        )
    message.status, message.next_attempt_at, message.lease_until = PENDING, now, None
    message.give_up_at = now + timedelta(hours=notify.retry_for_hours)
