"""SQLAlchemy 2.x models of prisme-drift's state.

The configurations themselves live in the git baseline; the database keeps what git cannot:
per-device poll results, fetch anomalies and the life of every drift item.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset by itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; the naming convention keeps Alembic batch mode happy on SQLite."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


Base.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Device(Base):
    """A device of the inventory as last seen by a poll.

    ``removed_at``: when a poll found it gone from the inventory (NULL while it is in it). The
    row, its polls, its drift items and its git baseline are kept; a device put back resumes.
    """

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("site", "name", name="uq_devices_site_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    last_poll_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]
    last_change_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_good_lines: Mapped[int | None] = mapped_column(Integer)
    last_good_bytes: Mapped[int | None] = mapped_column(Integer)
    removed_at: Mapped[datetime | None]

    drift_items: Mapped[list[DriftItem]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class Poll(Base):
    """One poll cycle of a site."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    observed_commit: Mapped[str | None] = mapped_column(String(64))
    approved_commit: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None]

    results: Mapped[list[DevicePoll]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", passive_deletes=True
    )


class DevicePoll(Base):
    """What one poll got from one device: ok, unchanged, changed, failed or quarantined."""

    __tablename__ = "device_polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    duration_s: Mapped[float | None] = mapped_column(Float)
    config_sha: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]

    poll: Mapped[Poll] = relationship(back_populates="results")
    device: Mapped[Device] = relationship()


class DriftItem(Base):
    """One difference between approved and observed, from the poll that saw it to its closing."""

    __tablename__ = "drift_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(32))
    path: Mapped[list[str]] = mapped_column(JSON)
    removed: Mapped[list[str]] = mapped_column(JSON)
    added: Mapped[list[str]] = mapped_column(JSON)
    remediation: Mapped[list[str] | None] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[str | None] = mapped_column(String(128))
    appeared_after: Mapped[datetime | None]
    opened_at: Mapped[datetime]
    opened_poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))
    last_seen_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))
    close_reason: Mapped[str | None] = mapped_column(String(32))
    accepted_by: Mapped[str | None] = mapped_column(String(255))
    accept_reason: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship(back_populates="drift_items")


class Event(Base):
    """Something IT must hear about once: a drift item opened or closed, a device unreachable...

    ``dedupe_key`` names the thing (``drift_opened:42``, ``device_unreachable:3:<anchor>``); the
    unique constraint makes a second recording of the same thing impossible.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("site", "dedupe_key", name="uq_events_site_dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    device: Mapped[str | None] = mapped_column(String(255))
    drift_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("drift_items.id", ondelete="SET NULL"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """One notification to deliver on one channel (email, webhook), with its delivery state.

    ``status``: ``pending`` (to send, ``next_attempt_at`` says when), ``sent``, ``failed`` (gave
    up after ``give_up_at``; ``outbox retry`` revives it), ``digested`` (rolled into the digest
    ``digest_id`` by the storm limit) or ``superseded`` (a document's version replaced by a newer
    one before it was sent: never sent). ``lease_until`` is a sender's claim while it delivers.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("site", "channel", "group_key", name="uq_outbox_site_channel_group_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    summary: Mapped[str] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    give_up_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))

    events: Mapped[list[Event]] = relationship(secondary="outbox_events", order_by="Event.id")


class OutboxEvent(Base):
    """Which events a message carries (a digest carries those of the messages it rolled up)."""

    __tablename__ = "outbox_events"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TicketRow(Base):
    """A change ticket made from the CLI or imported; the ticket itself is validated JSON."""

    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only, hash-chained audit trail of tickets, verdicts, acceptances, baseline moves."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class DaemonRecord(Base):
    """The site's daemon as it last recorded itself: pid, start, mode (``status`` shows it)."""

    __tablename__ = "daemon_state"

    site: Mapped[str] = mapped_column(String(128), primary_key=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    first_started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    mode: Mapped[str] = mapped_column(String(16))
    degraded_reason: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[str | None] = mapped_column(Text)


class JobRecord(Base):
    """One daemon job's record: last run, success, failure (with its streak), next run."""

    __tablename__ = "job_states"
    __table_args__ = (UniqueConstraint("site", "job_id", name="uq_job_states_site_job_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(128))
    job_id: Mapped[str] = mapped_column(String(255))
    last_started_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_note: Mapped[str | None] = mapped_column(Text)
    last_duration_s: Mapped[float | None] = mapped_column(Float)
    next_run_at: Mapped[datetime | None]
    running_since: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
