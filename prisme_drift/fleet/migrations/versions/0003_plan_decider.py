"""The name of the client user who decided a change plan.

Revision ID: f0003
Revises: f0002
Create Date: 2026-12-03

A site's role reads its own ``change_plans`` and nothing of ``web_users``: the approval it
records (``Approval.by``: "Dr Martin (dmartin)") needs the decider's display name beside the
login, as it was when the decision was made.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0003"
down_revision: str | Sequence[str] | None = "f0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``change_plans.decided_by_name``."""
    op.add_column("change_plans", sa.Column("decided_by_name", sa.String(255), nullable=True))


def downgrade() -> None:
    """Drop it."""
    op.drop_column("change_plans", "decided_by_name")
