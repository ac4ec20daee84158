"""The central fleet schema: sites' rows keyed by (site, local id), under row-level security.

Revision ID: f0001
Revises:
Create Date: 2026-12-03

Every table a site writes carries ``site`` and a policy: a role sees and writes only the rows of
the site ``site_roles`` gives it (``fleet grant``). The owner of the tables (the provider's
admin role, which runs the migrations and the central commands) is not subject to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITE_TABLES = (
    "sites", "devices", "polls", "device_days", "drift_items", "events", "tickets",
    "audit_entries", "report_files", "sync_watermarks",
)


def _site() -> sa.Column:
    return sa.Column("site", sa.String(128), nullable=False)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _tables() -> None:
    op.create_table(
        "sites", _site(),
        sa.Column("client", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("sync_every_s", sa.Float()),
        _at("last_sync_at"), _at("last_poll_at"),
        _pk("sites", "site"),
    )
    op.create_table(
        "devices", _site(), _id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        _at("last_poll_at"),
        sa.Column("last_status", sa.String(32)),
        sa.Column("last_error_kind", sa.String(32)),
        _at("last_success_at"), _at("last_change_at"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        _at("removed_at"),
        _pk("devices", "site", "id"),
    )
    op.create_table(
        "polls", _site(), _id(),
        _at("started_at", nullable=False), _at("finished_at"),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("observed_commit", sa.String(64)),
        sa.Column("approved_commit", sa.String(64)),
        sa.Column("summary", sa.JSON()),
        _pk("polls", "site", "id"),
    )
    op.create_table(
        "device_days", _site(),
        sa.Column("device_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False)
          for n in ("polls", "ok", "unchanged", "changed", "failed", "quarantined")),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("last_status", sa.String(32), nullable=False),
        _at("last_at", nullable=False),
        _pk("device_days", "site", "device_id", "day"),
    )
    op.create_table(
        "drift_items", _site(), _id(),
        sa.Column("device_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("ticket_id", sa.String(128)),
        _at("opened_at", nullable=False), _at("last_seen_at", nullable=False), _at("closed_at"),
        sa.Column("close_reason", sa.String(32)),
        sa.Column("accepted_by", sa.String(255)),
        sa.Column("accept_reason", sa.Text()),
        _pk("drift_items", "site", "id"),
    )
    op.create_index("ix_drift_items_open", "drift_items", ["site"],
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_table(
        "events", _site(), _id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("device", sa.String(255)),
        sa.Column("drift_item_id", sa.BigInteger()),
        sa.Column("poll_id", sa.BigInteger()),
        sa.Column("payload", sa.JSON(), nullable=False),
        _at("created_at", nullable=False),
        _pk("events", "site", "id"),
    )
    op.create_table(
        "tickets", _site(),
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _at("created_at", nullable=False), _at("updated_at", nullable=False),
        _pk("tickets", "site", "id"),
    )
    op.create_table(
        "audit_entries", _site(), _id(),
        _at("at", nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        _pk("audit_entries", "site", "id"),
    )
    op.create_table(
        "report_files", _site(),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _at("modified_at", nullable=False),
        _pk("report_files", "site", "path"),
    )
    op.create_table(
        "sync_watermarks", _site(),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        _at("last_at"), _at("synced_at"),
        _pk("sync_watermarks", "site", "table_name"),
    )
    op.create_table(
        "site_roles",
        sa.Column("role_name", sa.String(63), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        _pk("site_roles", "role_name"),
    )


def _row_level_security() -> None:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    # SECURITY DEFINER: a site's role needs no right on site_roles to learn its own site.
    op.execute(
        f"""CREATE FUNCTION "{schema}".fleet_site_of(role_name text) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}"
        AS $$ SELECT site FROM site_roles WHERE site_roles.role_name = $1 $$"""
    )
    op.execute(f'REVOKE ALL ON TABLE "{schema}".site_roles FROM PUBLIC')
    for table in SITE_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY own_site ON {table} "
            f"USING (site = fleet_site_of(current_user::text)) "
            f"WITH CHECK (site = fleet_site_of(current_user::text))"
        )


def upgrade() -> None:
    """Create the central tables and their row-level security."""
    _tables()
    _row_level_security()


def downgrade() -> None:
    """Drop everything."""
    for table in (*SITE_TABLES, "site_roles"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS fleet_site_of(text)")
