"""Schema migrations of the state database: the Alembic revisions shipped inside the package,
run programmatically (no ``alembic.ini`` at the user's site), serialised between processes."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from prisme_drift.errors import StoreError
from prisme_drift.store.sqlite import sqlite_migration_transaction
from prisme_drift.store.urls import engine_url_for_display, scrubbed

log = logging.getLogger(__name__)

#: Folder of the Alembic environment and revisions shipped with the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock that serialises concurrent schema upgrades.
_PG_MIGRATION_LOCK_KEY = 0x7072_6973_6D65  # "prisme"
#: Engines whose schema is known to be at head (shared engines, checked once per process); an
#: upgrade or downgrade forgets that.
_AT_HEAD: weakref.WeakSet[Engine] = weakref.WeakSet()


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise StoreError(
            f"the database migrations are missing from the installation ({MIGRATIONS_DIR}); "
            "reinstall prisme-drift"
        )
    config = Config()
    # ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest schema revision this version of prisme-drift knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError(f"no migration found in {MIGRATIONS_DIR}; reinstall prisme-drift")
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database, or None if it has never been migrated."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise _unusable(engine, "read the schema revision of", exc) from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema of the database to ``revision`` (default: the newest)."""
    _AT_HEAD.discard(engine)
    log.info("upgrading the state database %s to %s", engine_url_for_display(engine), revision)
    _run_migration(
        engine, lambda config: command.upgrade(config, revision), f"upgrade to {revision}"
    )


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema of the database to ``revision`` (``"base"``: drop everything)."""
    _AT_HEAD.discard(engine)
    log.info("downgrading the state database %s to %s", engine_url_for_display(engine), revision)
    _run_migration(
        engine, lambda config: command.downgrade(config, revision), f"downgrade to {revision}"
    )


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision; cheap when it is there already.

    Safe to call repeatedly and from several processes at once: upgrades are serialised by a
    lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL) and whoever comes
    second finds the work done. Refuses a database newer than this version of prisme-drift.
    """
    if engine in _AT_HEAD:
        return
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is not None and not _is_known_revision(current):
        raise StoreError(
            f"the state database {engine_url_for_display(engine)} is at schema revision "
            f"{current!r}, unknown to this version of prisme-drift (newest known: {head!r}). "
            "Upgrade prisme-drift, or point it at another database"
        )
    upgrade(engine, "head")


def ensure_schema_once(engine: Engine) -> None:
    """``ensure_schema``, then remember the engine is at head: its later checks cost nothing."""
    if engine not in _AT_HEAD:
        ensure_schema(engine)
        _AT_HEAD.add(engine)


def _is_known_revision(revision: str) -> bool:
    """True if ``revision`` is one of the shipped migrations."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _unusable(engine: Engine, action: str, exc: Exception) -> StoreError:
    """The StoreError for a failed operation on the database (URL and password masked)."""
    detail = scrubbed(str(exc), engine.url.password)
    return StoreError(
        f"cannot {action} the state database {engine_url_for_display(engine)}: {detail}"
    )


def _run_migration(engine: Engine, action: Callable[[Config], None], what: str) -> None:
    """Run an Alembic command on one connection of ``engine``, under the migration lock."""
    config = alembic_config()
    try:
        with engine.connect() as connection, _migration_transaction(connection):
            config.attributes["connection"] = connection
            action(config)
    except (CommandError, SQLAlchemyError) as exc:
        raise _unusable(engine, what, exc) from exc


@contextmanager
def _migration_transaction(connection: Connection) -> Iterator[None]:
    """One transaction around a migration run, holding the backend's migration lock."""
    if connection.dialect.name == "sqlite":
        with sqlite_migration_transaction(connection):
            yield
        return
    try:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
        )
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
