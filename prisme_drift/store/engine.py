"""The state database, ready to use: engines (one per URL per process), sessions, the schema.

Two backends are supported: SQLite (a file next to the baseline, the default; ``sqlite``) and
PostgreSQL (through psycopg 3). The URL is checked and masked by ``urls``; the schema is brought
to the newest revision by ``migrate``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from prisme_drift.errors import StoreError
from prisme_drift.scrub import remember
from prisme_drift.store.migrate import ensure_schema, ensure_schema_once
from prisme_drift.store.sqlite import ensure_sqlite_file, set_sqlite_pragmas
from prisme_drift.store.urls import (
    bad_url,
    engine_url_for_display,
    mask_url,
    parse_url,
    scrubbed,
)

__all__ = ["ensure_schema", "make_engine", "session_factory", "shared_engine"]

log = logging.getLogger(__name__)

_PG_CONNECT_TIMEOUT_S = 10


def make_engine(url: str) -> Engine:
    """Create the engine of the state database at ``url``.

    SQLite: the parent folder of the file is created if missing, and every connection gets
    WAL journaling, a 10 s busy timeout, foreign keys and ``synchronous=NORMAL``.
    PostgreSQL: ``postgresql://`` means psycopg 3; connections are pre-pinged from the pool.
    Raises :class:`StoreError` (URL masked) if the URL is invalid or its driver is missing.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _make_sqlite_engine(parsed, url)
    else:
        engine = _make_postgresql_engine(parsed, url)
    log.debug("state database: %s", engine_url_for_display(engine))
    return engine


def _create_engine(parsed: URL, url: str, **kwargs: Any) -> Engine:
    """``create_engine`` with a missing driver or a bad option turned into a StoreError."""
    remember(parsed.password)  # masked in every log line and message from now on
    try:
        return create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"the database driver for {mask_url(url)!r} is not installed ({exc}). "
            "For PostgreSQL install psycopg 3: pip install 'prisme-drift[postgres]'"
        ) from None
    except (ArgumentError, TypeError, ValueError) as exc:
        raise bad_url(url, scrubbed(str(exc), parsed.password)) from None


def _make_sqlite_engine(parsed: URL, url: str) -> Engine:
    """SQLite engine with the folder created and the pragmas set on every connection."""
    ensure_sqlite_file(parsed, url)
    engine = _create_engine(parsed, url)
    event.listen(engine, "connect", set_sqlite_pragmas)
    return engine


def _make_postgresql_engine(parsed: URL, url: str) -> Engine:
    """PostgreSQL engine with pre-ping and a connect timeout unless the URL sets one."""
    if "password" in parsed.query:
        # Keep it where SQLAlchemy masks it (a query-string password shows in repr(engine)).
        value = parsed.query["password"]
        password = value if isinstance(value, str) else value[-1]
        parsed = parsed.set(password=password).difference_update_query(["password"])
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = _PG_CONNECT_TIMEOUT_S
    return _create_engine(parsed, url, pool_pre_ping=True, connect_args=connect_args)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


# One engine per URL per process for the long-running paths (daemon, CLI commands): SQLAlchemy's
# compiled-statement cache keeps a reference to every engine's dialect, so an engine per poll
# made the daemon's memory grow for hundreds of polls (benchmarks/soak.py). Only shared engines
# skip the schema check after the first one.
_SHARED: dict[str, Engine] = {}
_SHARED_LOCK = threading.Lock()


def shared_engine(url: str) -> Engine:
    """The process-wide engine for ``url``, its schema checked once per process.

    Callers may ``dispose()`` it to release pooled connections; it stays usable. Its later
    ``ensure_schema`` calls cost nothing (the daemon calls it at every job).
    """
    with _SHARED_LOCK:
        engine = _SHARED.get(url)
        if engine is None:
            engine = _SHARED[url] = make_engine(url)
        ensure_schema_once(engine)
        return engine
