"""Store test fixtures: the shared database fixtures of ``tests/pg_fixtures.py``.

They are imported here so that the store tests run even if the top-level conftest does not
load ``tests.pg_fixtures`` as a plugin; loading it there as well is harmless.
"""

from __future__ import annotations

from tests.pg_fixtures import (  # noqa: F401  (fixtures are found by name)
    db_engine,
    db_session,
    db_url,
    migrated_engine,
    pg_admin_engine,
    pg_db_url,
    sqlite_db_url,
)
