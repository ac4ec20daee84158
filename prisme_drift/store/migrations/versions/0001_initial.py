"""Initial schema: devices, polls, device_polls, drift_items.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Constraint and index names are those of the naming convention of ``models.Base.metadata``;
the ``UTCDateTime`` columns of the models are plain ``DateTime(timezone=True)`` here (the UTC
handling is Python-side only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool) -> sa.Column[Any]:
    """A timezone-aware datetime column (models.UTCDateTime)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        _utc("last_poll_at", nullable=True),
        sa.Column("last_status", sa.String(length=32), nullable=True),
        sa.Column("last_error_kind", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _utc("last_success_at", nullable=True),
        _utc("last_change_at", nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_good_lines", sa.Integer(), nullable=True),
        sa.Column("last_good_bytes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("site", "name", name=op.f("uq_devices_site_name")),
    )
    op.create_index(op.f("ix_devices_site"), "devices", ["site"], unique=False)

    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        _utc("started_at", nullable=False),
        _utc("finished_at", nullable=True),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("observed_commit", sa.String(length=64), nullable=True),
        sa.Column("approved_commit", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_index(op.f("ix_polls_site"), "polls", ["site"], unique=False)

    op.create_table(
        "device_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("config_sha", sa.String(length=64), nullable=True),
        _utc("at", nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"],
            name=op.f("fk_device_polls_poll_id_polls"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"],
            name=op.f("fk_device_polls_device_id_devices"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_polls")),
    )
    op.create_index(op.f("ix_device_polls_poll_id"), "device_polls", ["poll_id"], unique=False)
    op.create_index(
        op.f("ix_device_polls_device_id"), "device_polls", ["device_id"], unique=False
    )

    op.create_table(
        "drift_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("remediation", sa.JSON(), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.String(length=128), nullable=True),
        _utc("appeared_after", nullable=True),
        _utc("opened_at", nullable=False),
        sa.Column("opened_poll_id", sa.Integer(), nullable=True),
        _utc("last_seen_at", nullable=False),
        _utc("closed_at", nullable=True),
        sa.Column("closed_poll_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("accepted_by", sa.String(length=255), nullable=True),
        sa.Column("accept_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"],
            name=op.f("fk_drift_items_device_id_devices"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_poll_id"], ["polls.id"],
            name=op.f("fk_drift_items_opened_poll_id_polls"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_poll_id"], ["polls.id"],
            name=op.f("fk_drift_items_closed_poll_id_polls"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_items")),
    )
    op.create_index(op.f("ix_drift_items_site"), "drift_items", ["site"], unique=False)
    op.create_index(op.f("ix_drift_items_device_id"), "drift_items", ["device_id"], unique=False)
    op.create_index(
        op.f("ix_drift_items_fingerprint"), "drift_items", ["fingerprint"], unique=False
    )
    op.create_index(op.f("ix_drift_items_closed_at"), "drift_items", ["closed_at"], unique=False)


def downgrade() -> None:
    """Drop everything, children first (indexes go with their tables)."""
    op.drop_table("drift_items")
    op.drop_table("device_polls")
    op.drop_table("polls")
    op.drop_table("devices")
