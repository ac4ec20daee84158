"""The sender: delivers due outbox messages, under the storm limit, with backoff on failure.

Everything it knows is in the database, so it can stop at any moment and start again (another
process, another day) without losing or repeating a message. ``now`` is injectable: tests move
the clock instead of sleeping through the backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.notify import outbox
from prisme_drift.notify.catchup import queue_catch_up
from prisme_drift.notify.documents import sendable
from prisme_drift.notify.notifier import DeliveryError, Notifier
from prisme_drift.notify.registry import notifiers_for, wording_for
from prisme_drift.scrub import scrub
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import OutboxMessage
from prisme_drift.timefmt import local_time, utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class DeliveryReport:
    """What one sender run did: messages sent, failed (retried later), given up, held back."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    held: int = 0
    pending: int = 0
    waiting: int = 0  # pending messages whose next retry time has not come yet
    next_retry: tuple[int, datetime] | None = None  # (message id, due at) of the first of them
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> bool:
        return bool(self.sent or self.failed or self.gave_up or self.held)

    def line(self) -> str:
        """``notifications: 1 sent, 0 failed, 2 pending``."""
        text = f"notifications: {self.sent} sent, {self.failed + self.gave_up} failed"
        if self.held:
            text += f", {self.held} held by the storm limit"
        text += f", {self.pending} pending"
        return text + (f" ({self.waiting} waiting for a retry time)" if self.waiting else "")

    def waiting_line(self, timezone: str) -> str | None:
        """What the messages not sent because their retry time has not come are waiting for."""
        if not self.waiting or self.next_retry is None:
            return None
        message_id, due = self.next_retry
        local = local_time(due, timezone)
        many = f"{self.waiting} messages wait" if self.waiting > 1 else "1 message waits"
        return (
            f"{many} for a retry time; the next retry is due at {local} ({timezone}), "
            f"message {message_id}: 'prisme-drift outbox retry {message_id}' sends it now"
        )


@dataclass(frozen=True)
class _Run:
    """What every step of one sender run needs."""

    settings: Settings
    sessions: sessionmaker[Session]
    now: Clock
    report: DeliveryReport


def deliver_due(
    settings: Settings,
    *,
    engine: Engine | None = None,
    now: Clock = utcnow,
    notifiers: Mapping[str, Notifier] | None = None,
) -> DeliveryReport:
    """Deliver every due message of the site on every configured channel; never raises for a
    delivery problem (it is recorded on the message and in the report)."""
    own = engine is None
    engine = engine or shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        run = _Run(settings, session_factory(engine), now, DeliveryReport())
        available = notifiers or notifiers_for(settings)
        _catch_up(run, list(available))
        for channel, notifier in available.items():
            for message_id in _plan(run, channel):
                _deliver(run, notifier, message_id)
        _count_pending(run)
        return run.report
    finally:
        if own:
            engine.dispose()


def deliver_message(
    settings: Settings,
    message_id: int,
    *,
    engine: Engine | None = None,
    now: Clock = utcnow,
    notifiers: Mapping[str, Notifier] | None = None,
) -> DeliveryReport:
    """Make one message due now (``outbox retry``) and deliver it, bypassing the storm limit."""
    own = engine is None
    engine = engine or shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        run = _Run(settings, session_factory(engine), now, DeliveryReport())
        with run.sessions.begin() as session:
            outbox.revive(
                session,
                settings.site.name,
                message_id,
                now(),
                settings.notify,
                settings.site.timezone,
            )
            channel = _get_channel(session, message_id)
        available = notifiers or notifiers_for(settings)
        if channel not in available:
            raise ConfigError(
                f"outbox message {message_id} is for the {channel} channel, which is not "
                f"configured; add its section to {settings.source}"
            )
        _deliver(run, available[channel], message_id)
        _count_pending(run)
        return run.report
    finally:
        if own:
            engine.dispose()


def _catch_up(run: _Run, channels: list[str]) -> None:
    """Queue, once per channel, the open items it was never told about (the channel was added
    after they opened, or no channel was configured then)."""
    try:
        with run.sessions.begin() as session:
            queue_catch_up(session, run.settings, channels, run.now())
    except IntegrityError:  # another sender queued the same catch-up meanwhile: it is queued
        log.info("[%s] catch-up already queued by another sender", run.settings.site.name)


def _get_channel(session: Session, message_id: int) -> str:
    channel = session.scalar(select(OutboxMessage.channel).where(OutboxMessage.id == message_id))
    return str(channel)


def _count_pending(run: _Run) -> None:
    """Pending messages in the report, and those of them waiting for their retry time."""
    pending = (
        OutboxMessage.site == run.settings.site.name,
        OutboxMessage.status == outbox.PENDING,
    )
    with run.sessions() as session:
        run.report.pending = (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(*pending)) or 0
        )
        later = (*pending, OutboxMessage.next_attempt_at > run.now())
        run.report.waiting = (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(*later)) or 0
        )
        first = session.execute(
            select(OutboxMessage.id, OutboxMessage.next_attempt_at)
            .where(*later)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
        ).first()
        run.report.next_retry = (first[0], first[1]) if first else None


def _plan(run: _Run, channel: str) -> list[int]:
    """The ids to deliver now on ``channel``; the excess over the storm limit is rolled into
    one digest (committed before anything is sent)."""
    site, limit = run.settings.site.name, run.settings.notify.max_per_hour
    at = run.now()
    with run.sessions.begin() as session:
        due = outbox.due_messages(session, site, channel, at)
        documents = sendable(due)  # a client document is never held back nor digested
        due = [m for m in due if m.id not in documents]
        recent = outbox.sent_since(session, site, channel, at - outbox.STORM_WINDOW)
        send, fold = outbox.plan_storm([m.id for m in due], recent, limit)
        send = documents + send
        if fold:
            folded = [m for m in due if m.id in set(fold)]
            digest = outbox.roll_into_digest(session, folded, at, run.settings.notify)
            send.append(digest.id)
            log.warning(
                "[%s] storm limit (%d per hour on %s): %d messages rolled into digest %d",
                site, limit, channel, len(folded), digest.id,
            )  # fmt: skip
        held = len(due) + len(documents) - len(send) - len(fold)
    if held:
        run.report.held += held
        log.info(
            "[%s] storm limit: %d %s message(s) wait for the hour to pass", site, held, channel
        )
    return send


def _deliver(run: _Run, notifier: Notifier, message_id: int) -> None:
    """Claim, deliver, mark: the mark follows the server's acceptance immediately."""
    site = run.settings.site.name
    with run.sessions.begin() as session:
        if not outbox.claim(session, message_id, run.now()):
            return  # sent, rolled up or being delivered by another sender meanwhile
    try:
        with run.sessions() as session:
            notification = outbox.load_notification(session, message_id)
        note = notifier.deliver(notification, wording_for(run.settings))
    except DeliveryError as exc:
        _failed(run, message_id, notifier.channel, exc.explain())
        return
    except Exception as exc:  # a bug in one message must not block the others
        log.exception("[%s] outbox %d: internal error while delivering", site, message_id)
        _failed(run, message_id, notifier.channel, scrub(f"internal error: {exc!r}", []))
        return
    with run.sessions.begin() as session:
        outbox.mark_sent(session, message_id, run.now(), note if "refused" in note else None)
    run.report.sent += 1
    log.info("[%s] outbox %d (%s) delivered: %s", site, message_id, notifier.channel, note)


def _failed(run: _Run, message_id: int, channel: str, error: str) -> None:
    """Record the failure; the message is retried after its backoff, or given up."""
    site = run.settings.site.name
    with run.sessions.begin() as session:
        status = outbox.mark_failed(session, message_id, run.now(), error, run.settings.notify)
        message = session.get(OutboxMessage, message_id)
        attempts = message.attempts if message else 0
        next_try = message.next_attempt_at if message else None
    run.report.errors.append(f"outbox {message_id} ({channel}): {error}")
    if status == outbox.FAILED:
        run.report.gave_up += 1
        log.error(
            "[%s] outbox %d (%s) given up after %d attempts: %s; 'prisme-drift outbox retry %d' "
            "sends it again",
            site, message_id, channel, attempts, error, message_id,
        )  # fmt: skip
        return
    run.report.failed += 1
    log.warning(
        "[%s] outbox %d (%s) attempt %d failed: %s; next try at %s",
        site, message_id, channel, attempts, error,
        local_time(next_try, run.settings.site.timezone, empty="?"),
    )  # fmt: skip


def deliver_after_poll(settings: Settings) -> DeliveryReport | None:
    """What ``run_poll`` calls once its transaction is committed: deliver, never raise."""
    if not notifiers_for(settings):
        return None
    try:
        return deliver_due(settings)
    except Exception:  # the poll's outcome must not depend on the mail relay or a bug here
        log.exception("[%s] delivering notifications failed; they stay in the outbox",
                      settings.site.name)  # fmt: skip
        return None


def list_outbox(settings: Settings, include_done: bool = False) -> list[outbox.OutboxView]:
    """The site's pending and failed messages (all of them with ``include_done``)."""
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            return outbox.list_messages(session, settings.site.name, include_done)
    finally:
        engine.dispose()
