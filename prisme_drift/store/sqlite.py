"""SQLite specifics: a private file, the pragmas of every connection, WAL journaling, and the
write-locked transaction batch migrations need."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from prisme_drift.errors import StoreError
from prisme_drift.store.urls import mask_url

_SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def ensure_sqlite_file(parsed: URL, url: str) -> None:
    """Create the folder (0700) and the file (0600) of a SQLite database, whatever the umask
    (not for in-memory or URI databases)."""
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("uri") == "true":
        return
    folder = Path(database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {str(folder)!r} of the state database {mask_url(url)!r}: "
            f"{exc.strerror or exc}. Create it or fix the database URL in the settings"
        ) from None
    if not os.path.lexists(database):
        # SQLite creates its -wal and -shm files with the database file's mode: 0600 for all.
        # A failure here (disk full) is raised as is, naming the file.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    """Event listener: apply the prisme-drift pragmas to a new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _enable_wal(cursor)
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL journaling (persistent in the file), retrying while the file is locked.

    On a new file opened by several connections at once, the switch needs an exclusive lock
    and SQLite reports the contention at once instead of calling the busy handler.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)


@contextmanager
def sqlite_migration_transaction(connection: Connection) -> Iterator[None]:
    """Write-locked SQLite transaction with foreign keys off, as batch migrations need.

    With foreign keys on, the table copies of batch mode would fire ``ON DELETE CASCADE`` and
    empty the child tables. The foreign keys are checked before commit, then turned back on.
    """
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield
        _check_sqlite_foreign_keys(connection)
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    """Raise if the migration left rows pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StoreError(
            f"the migration would leave {len(broken)} rows with a broken foreign key "
            f"(tables: {', '.join(tables)}); nothing was changed"
        )
