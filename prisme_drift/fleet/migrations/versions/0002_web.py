"""The web page's tables, the devices' structured states and the documents' bytes.

Revision ID: f0002
Revises: f0001
Create Date: 2026-12-03

``device_states`` and ``report_contents`` are written by the sites (row-level security on ``site``, as every table a site
writes). The ``web_*`` tables and ``change_plans`` are written by the web application's role; a
site's role may only read the change plans of its own site (a policy for SELECT alone), to pull
the approved ones at its next sync.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0002"
down_revision: str | Sequence[str] | None = "f0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _serial() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=True)


def _tables() -> None:
    op.create_table(
        "device_states",
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("device_id", sa.BigInteger(), nullable=False, autoincrement=False),
        _at("collected_at", nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        _pk("device_states", "site", "device_id"),
    )
    op.create_table(
        "report_contents",
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _pk("report_contents", "site", "path"),
    )
    op.create_table(
        "web_users",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("client", sa.String(255)),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        _at("created_at", nullable=False), _at("disabled_at"), _at("last_login_at"),
        _pk("web_users", "login"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _at("created_at", nullable=False), _at("expires_at", nullable=False),
        _at("last_seen_at", nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        _pk("web_sessions", "token_sha256"),
    )
    op.create_index("ix_web_sessions_login", "web_sessions", ["login"])
    op.create_table(
        "web_login_attempts", _serial(),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        _at("at", nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        _pk("web_login_attempts", "id"),
    )
    op.create_index("ix_web_login_attempts_at", "web_login_attempts", ["at"])
    op.create_table(
        "change_plans", _serial(),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("plan_text", sa.Text(), nullable=False),
        sa.Column("plan_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at("created_at", nullable=False), _at("updated_at", nullable=False),
        sa.Column("decided_by", sa.String(64)),
        _at("decided_at"),
        sa.Column("decided_from", sa.String(64)),
        sa.Column("decision_comment", sa.Text()),
        _pk("change_plans", "id"),
        sa.UniqueConstraint("site", "ticket_id", name="uq_change_plans_site_ticket"),
    )
    op.create_table(
        "web_audit", _serial(),
        _at("at", nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _pk("web_audit", "id"),
    )


def _row_level_security() -> None:
    for table in ("device_states", "report_contents"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY own_site ON {table} "
            "USING (site = fleet_site_of(current_user::text)) "
            "WITH CHECK (site = fleet_site_of(current_user::text))"
        )
    # a site reads its own change plans and nothing else; the grant (fleet grant) is SELECT only
    op.execute("ALTER TABLE change_plans ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY own_site_reads ON change_plans FOR SELECT "
        "USING (site = fleet_site_of(current_user::text))"
    )
    # the web role is granted its tables by 'prisme-drift web grant' (docs/web.md); it writes
    # change plans for every site: a permissive policy for roles that are not a site's
    op.execute(
        "CREATE POLICY not_a_site ON change_plans "
        "USING (fleet_site_of(current_user::text) IS NULL) "
        "WITH CHECK (fleet_site_of(current_user::text) IS NULL)"
    )


def upgrade() -> None:
    """Create the web page's tables and the devices' states."""
    _tables()
    _row_level_security()


def downgrade() -> None:
    """Drop them."""
    for table in ("web_audit", "change_plans", "web_login_attempts", "web_sessions", "web_users",
                  "report_contents", "device_states"):
        op.drop_table(table)
