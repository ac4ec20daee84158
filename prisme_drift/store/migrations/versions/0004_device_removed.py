"""Devices removed from the inventory: ``devices.removed_at``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add devices.removed_at (NULL: in the inventory)."""
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop devices.removed_at (removed devices then look like devices not polled lately)."""
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("removed_at")
