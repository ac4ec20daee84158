"""Integrity checks of the state database that need no engine: ``PRAGMA quick_check``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL, in-memory or unparsable URLs."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("uri") == "true":
        return None
    return Path(database)


def sqlite_quick_check(path: Path) -> str | None:
    """None when ``PRAGMA quick_check`` says ok (or there is no file yet), else the problem."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path, timeout=30)
    except sqlite3.Error as exc:
        return f"cannot open the state database {path}: {exc}"
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return f"the state database {path} is unreadable: {exc}"
    finally:
        conn.close()
    if rows == ["ok"]:
        return None
    return f"PRAGMA quick_check of {path}: " + "; ".join(rows[:5])
