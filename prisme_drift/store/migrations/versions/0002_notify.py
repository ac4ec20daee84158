"""Notifications: events, outbox, outbox_events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

``events`` holds what IT must hear about, once each (unique ``site, dedupe_key``); ``outbox``
one message per channel with its delivery state; ``outbox_events`` which events a message
carries. Names follow the naming convention of ``models.Base.metadata``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool) -> sa.Column[Any]:
    """A timezone-aware datetime column (models.UTCDateTime)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the three tables and their indexes."""
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("device", sa.String(length=255), nullable=True),
        sa.Column("drift_item_id", sa.Integer(), nullable=True),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _utc("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["drift_item_id"], ["drift_items.id"],
            name=op.f("fk_events_drift_item_id_drift_items"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"],
            name=op.f("fk_events_poll_id_polls"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("site", "dedupe_key", name=op.f("uq_events_site_dedupe_key")),
    )
    op.create_index(op.f("ix_events_site"), "events", ["site"], unique=False)
    op.create_index(op.f("ix_events_drift_item_id"), "events", ["drift_item_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("group_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _utc("created_at", nullable=False),
        _utc("next_attempt_at", nullable=False),
        _utc("give_up_at", nullable=False),
        _utc("lease_until", nullable=True),
        _utc("last_attempt_at", nullable=True),
        _utc("sent_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["outbox.id"],
            name=op.f("fk_outbox_digest_id_outbox"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "site", "channel", "group_key", name=op.f("uq_outbox_site_channel_group_key")
        ),
    )
    op.create_index(op.f("ix_outbox_site"), "outbox", ["site"], unique=False)
    op.create_index(op.f("ix_outbox_status"), "outbox", ["status"], unique=False)
    op.create_index(op.f("ix_outbox_sent_at"), "outbox", ["sent_at"], unique=False)

    op.create_table(
        "outbox_events",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"],
            name=op.f("fk_outbox_events_outbox_id_outbox"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"],
            name=op.f("fk_outbox_events_event_id_events"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "event_id", name=op.f("pk_outbox_events")),
    )
    op.create_index(
        op.f("ix_outbox_events_event_id"), "outbox_events", ["event_id"], unique=False
    )


def downgrade() -> None:
    """Drop the three tables, children first (indexes go with their tables)."""
    op.drop_table("outbox_events")
    op.drop_table("outbox")
    op.drop_table("events")
