"""Pytest plugin: state-database fixtures on SQLite and PostgreSQL.

Load it from the top-level ``tests/conftest.py`` with::

    pytest_plugins = ["tests.pg_fixtures"]

(``tests/store/conftest.py`` imports these fixtures itself, so the store tests work either way.)

Fixtures:

* ``db_url``: parametrized over ``sqlite`` (a file in ``tmp_path``) and ``postgresql`` (a fresh
  database per test, dropped afterwards), so a test using it runs on both backends.
* ``sqlite_db_url`` / ``pg_db_url``: one backend only.
* ``db_engine``: ``make_engine(db_url)``, disposed after the test; ``migrated_engine``: the same
  with the schema at head; ``db_session``: a session on ``migrated_engine``.

PostgreSQL comes from ``PRISME_TEST_PG_URL`` (a database the tests can connect to as a user
allowed to create databases). Start the throw-away cluster with ``eval "$(.ci/pg-env)"``.
Without it the PostgreSQL variants are skipped, or fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
from prisme_drift.store.urls import mask_url

PG_URL_ENV = "PRISME_TEST_PG_URL"
HOW_TO_START = (
    f"start the throw-away PostgreSQL test cluster and export {PG_URL_ENV} with: "
    'eval "$(.ci/pg-env)"'
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _psycopg_url(url: str) -> str:
    """``postgresql://`` -> ``postgresql+psycopg://`` (as make_engine does)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin_engine() -> Iterator[Engine]:
    """Autocommit engine on ``PRISME_TEST_PG_URL``, to create and drop the test databases."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                f"{PG_URL_ENV} is not set and CI is: the PostgreSQL tests must run; {HOW_TO_START}",
                pytrace=False,
            )
        pytest.skip(f"PostgreSQL tests skipped: {PG_URL_ENV} is not set; {HOW_TO_START}")
    engine = create_engine(_psycopg_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        pytest.fail(
            f"cannot connect to {PG_URL_ENV}={mask_url(url)}: {exc}; {HOW_TO_START}", pytrace=False
        )
    yield engine
    engine.dispose()


@pytest.fixture
def pg_db_url(pg_admin_engine: Engine) -> Iterator[str]:
    """URL of a brand-new PostgreSQL database, dropped (connections and all) after the test."""
    name = f"prisme_t_{uuid.uuid4().hex[:12]}"
    with pg_admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_admin_engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with pg_admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    """URL of a SQLite file in a folder that does not exist yet (make_engine creates it)."""
    return f"sqlite:///{tmp_path / 'state' / 'prisme-drift.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """URL of an empty database, once per backend."""
    fixture = "sqlite_db_url" if request.param == "sqlite" else "pg_db_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """``make_engine(db_url)`` on an empty database; disposed after the test."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(db_engine: Engine) -> Engine:
    """``db_engine`` with the schema at the newest revision."""
    ensure_schema(db_engine)
    return db_engine


@pytest.fixture
def db_session(migrated_engine: Engine) -> Iterator[Session]:
    """A session on ``migrated_engine``, closed after the test."""
    with session_factory(migrated_engine)() as session:
        yield session
