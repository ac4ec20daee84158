"""The daemon's job state moves from ``state/jobs.json`` into the database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``daemon_state``: one row per site (pid, start, mode); ``job_states``: one row per site and job
(last run, success, failure streak, next run). A site's old ``jobs.json`` is imported by the
daemon at its first start on this revision, then renamed ``jobs.json.imported``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str) -> sa.Column[Any]:
    """A nullable timezone-aware datetime column (models.UTCDateTime)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    """Create daemon_state and job_states."""
    op.create_table(
        "daemon_state",
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        _utc("started_at"),
        _utc("first_started_at"),
        _utc("stopped_at"),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("degraded_reason", sa.Text(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_daemon_state")),
    )
    op.create_table(
        "job_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("job_id", sa.String(length=255), nullable=False),
        _utc("last_started_at"),
        _utc("last_success_at"),
        _utc("last_failure_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("last_note", sa.Text(), nullable=True),
        sa.Column("last_duration_s", sa.Float(), nullable=True),
        _utc("next_run_at"),
        _utc("running_since"),
        _utc("failing_since"),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_states")),
        sa.UniqueConstraint("site", "job_id", name=op.f("uq_job_states_site_job_id")),
    )


def downgrade() -> None:
    """Drop both tables (the daemon then starts with no job history)."""
    op.drop_table("job_states")
    op.drop_table("daemon_state")
