"""Alembic environment of the central fleet database (``prisme_drift.fleet.migrate`` runs it).

The connection comes in ``config.attributes["connection"]``, inside a locked transaction that
the caller commits. The version is kept in ``fleet_alembic_version``, apart from a site store's.
"""

from __future__ import annotations

from alembic import context

from prisme_drift.fleet.schema import metadata

VERSION_TABLE = "fleet_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the fleet migrations with: prisme-drift fleet migrate --url URL")
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
