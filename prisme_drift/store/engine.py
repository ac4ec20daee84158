"""Engine set-up and schema migrations of the state database.

Two backends are supported: SQLite (a file next to the baseline, the default) and PostgreSQL
(through psycopg 3). The schema is managed by the Alembic migrations shipped inside the package,
run programmatically: no ``alembic.ini`` is needed at the user's site.

A database URL may hold a password: it never appears in a log line or an error message, only
its masked form (see :func:`mask_url`).
"""

from __future__ import annotations

import logging
import os
import random
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from prisme_drift.errors import StoreError
from prisme_drift.scrub import MASK as _MASK
from prisme_drift.scrub import remember, scrub

log = logging.getLogger(__name__)

#: Folder of the Alembic environment and revisions shipped with the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
EXAMPLE_URLS = (
    "sqlite:////var/lib/prisme-drift/state.db (absolute path: four slashes) or "
    "postgresql://user:password@dbhost:5432/prisme_drift"
)
#: Drivers given by users for PostgreSQL, mapped to the one prisme-drift ships with.
_PG_DRIVER_ALIASES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
#: Key of the PostgreSQL advisory lock that serialises concurrent schema upgrades.
_PG_MIGRATION_LOCK_KEY = 0x7072_6973_6D65  # "prisme"
_PG_CONNECT_TIMEOUT_S = 10
_SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
_QUERY_PASSWORD_RE = re.compile(r"(?i)\b(password|passwd|pwd)(\s*=\s*)('[^']*'|[^\s&;]*)")
_SCHEME_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<rest>.*)$", re.DOTALL)


# --------------------------------------------------------------------------- URL handling


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, also when it does not parse.

    Masks the ``user:password@`` part (up to the last ``@``, as an unescaped ``@`` in a password
    is a common mistake), a non-numeric "port" when the ``@host`` part is missing (that is a
    password too), and ``password=`` parameters in a query string or a libpq DSN.
    """
    masked = _QUERY_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{_MASK}", url)
    match = _SCHEME_RE.match(masked)
    if match is None:
        return masked
    return match.group("scheme") + _mask_authority(match.group("rest"))


def _mask_authority(rest: str) -> str:
    """Mask the password in what follows ``scheme://``."""
    if "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        if ":" in userinfo:
            return f"{userinfo.split(':', 1)[0]}:{_MASK}@{host}"
        return rest
    authority, sep, path = rest.partition("/")
    name, colon, port = authority.partition(":")
    if colon and port and not port.isdigit():
        return f"{name}:{_MASK}{sep}{path}"
    return rest


def _bad_url(url: str, problem: str) -> StoreError:
    """The error for a database URL that cannot be used, with the fix."""
    return StoreError(
        f"invalid state database URL {mask_url(url)!r}: {problem}. "
        f"Fix the database URL in the settings; examples: {EXAMPLE_URLS}"
    )


def _parse_url(url: str) -> URL:
    """Parse ``url`` and check its backend; map plain ``postgresql://`` to psycopg 3."""
    try:
        parsed = make_url(url)
    except ValueError:
        # The message would quote the "port", which may be a password: don't repeat it.
        raise _bad_url(
            url,
            "its port is not a number (in a password, write @ as %40, : as %3A and / as %2F)",
        ) from None
    except ArgumentError:
        raise _bad_url(
            url, "it does not parse as dialect://user:password@host:port/database"
        ) from None
    parsed = parsed.set(drivername=_normalise_driver(parsed.drivername))
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise _bad_url(url, f"backend {backend!r} is not supported (use sqlite or postgresql)")
    return parsed


def _normalise_driver(drivername: str) -> str:
    """``postgresql``/``postgres`` -> ``postgresql+psycopg``; ``postgres+x`` -> ``postgresql+x``."""
    if drivername in _PG_DRIVER_ALIASES:
        return _PG_DRIVER_ALIASES[drivername]
    if drivername.startswith("postgres+"):
        return "postgresql+" + drivername.split("+", 1)[1]
    return drivername


def _scrub(message: str, password: str | None) -> str:
    """``message`` with any copy of ``password`` replaced by ``***``."""
    return mask_url(scrub(message, [password] if password else []))


def engine_url_for_display(engine: Engine) -> str:
    """The engine's URL with its password masked, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------- engines


def make_engine(url: str) -> Engine:
    """Create the engine of the state database at ``url``.

    SQLite: the parent folder of the file is created if missing, and every connection gets
    WAL journaling, a 10 s busy timeout, foreign keys and ``synchronous=NORMAL``.
    PostgreSQL: ``postgresql://`` means psycopg 3; connections are pre-pinged from the pool.
    Raises :class:`StoreError` (URL masked) if the URL is invalid or its driver is missing.
    """
    parsed = _parse_url(url)
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
        raise _bad_url(url, _scrub(str(exc), parsed.password)) from None


def _make_sqlite_engine(parsed: URL, url: str) -> Engine:
    """SQLite engine with the folder created and the pragmas set on every connection."""
    _ensure_sqlite_folder(parsed, url)
    engine = _create_engine(parsed, url)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _ensure_sqlite_folder(parsed: URL, url: str) -> None:
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


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
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


# --------------------------------------------------------------------------- migrations


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


# One engine per URL per process for the long-running paths (daemon, CLI commands): SQLAlchemy's
# compiled-statement cache keeps a reference to every engine's dialect, so an engine per poll
# made the daemon's memory grow for hundreds of polls (benchmarks/soak.py). Only shared engines
# skip the schema check after the first one; an upgrade or downgrade forgets that.
_SHARED: dict[str, Engine] = {}
_AT_HEAD: weakref.WeakSet[Engine] = weakref.WeakSet()
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
        if engine not in _AT_HEAD:
            ensure_schema(engine)
            _AT_HEAD.add(engine)
        return engine


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


def _is_known_revision(revision: str) -> bool:
    """True if ``revision`` is one of the shipped migrations."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _unusable(engine: Engine, action: str, exc: Exception) -> StoreError:
    """The StoreError for a failed operation on the database (URL and password masked)."""
    detail = _scrub(str(exc), engine.url.password)
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
        with _sqlite_migration_transaction(connection):
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


@contextmanager
def _sqlite_migration_transaction(connection: Connection) -> Iterator[None]:
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
