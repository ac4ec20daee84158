"""The central fleet database: its engine (password from a file, time limits), its schema
revisions (Alembic, run by the provider's admin role) and the roles of the sites."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from prisme_drift.errors import ConfigError, FleetError, RefusedError, StoreError
from prisme_drift.fleet.schema import SITE_READ_TABLES, SITE_TABLES, WEB_TABLES, site_roles
from prisme_drift.secretpaths import (
    CREDENTIALS_VAR,
    expand_credentials_directory,
    read_secret,
    unset_credentials_directory,
)
from prisme_drift.settings_fleet import CREDENTIAL_NAME
from prisme_drift.store.engine import make_engine
from prisme_drift.store.urls import engine_url_for_display, mask_url, parse_url, scrubbed

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "fleet_alembic_version"
_LOCK_KEY = 0x666C_6565_74  # "fleet"
URL_ENV = "PRISME_FLEET_URL"


def read_password(password_file: Path | None, base: Path | None = None) -> str | None:
    """The role's password: ``password_file``, else ``$CREDENTIALS_DIRECTORY/fleet-db-password``
    when it exists, else None (peer, certificate or ``~/.pgpass`` authentication)."""
    if password_file is None:
        folder = os.environ.get(CREDENTIALS_VAR)
        candidate = Path(folder) / CREDENTIAL_NAME if folder else None
        if candidate is None or not candidate.is_file():
            return None
        password_file = candidate
    path = expand_credentials_directory(password_file)
    if base is not None and not path.is_absolute():
        path = base / path
    why = unset_credentials_directory(path, "[fleet] password_file")
    if why:
        raise ConfigError(why)
    try:
        secret = read_secret(path)
    except OSError as exc:
        raise ConfigError(
            f"[fleet] password_file {path}: cannot read it ({exc.strerror}); put the central "
            "role's password alone in that file (mode 0600)"
        ) from None
    if not secret:
        raise ConfigError(f"[fleet] password_file {path} is empty: write the password in it")
    return secret


def central_engine(url: str, password: str | None = None, timeout: float = 60) -> Engine:
    """An engine on the central database: ``connect_timeout``, ``statement_timeout`` and
    ``tcp_user_timeout`` from ``timeout`` (seconds), the password (never in the URL given) set
    apart and masked."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"the fleet URL {mask_url(url)!r} is not PostgreSQL")
    if password is not None:
        parsed = parsed.set(password=password)
    query = dict(parsed.query)
    query.setdefault("connect_timeout", str(max(1, min(int(timeout), 30))))
    query.setdefault("options", f"-c statement_timeout={int(timeout * 1000)}")
    # a network that drops packets mid-query: the client gives up too, not only the server
    query.setdefault("tcp_user_timeout", str(int(timeout * 1000)))
    parsed = parsed.set(query=query)
    return make_engine(parsed.render_as_string(hide_password=False))


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str:
    """The newest central schema revision this version knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise StoreError(f"no fleet migration found in {MIGRATIONS_DIR}; reinstall prisme-drift")
    return head


def unreachable(engine: Engine, action: str, exc: BaseException) -> FleetError:
    """The FleetError for a failed operation on the central database (password masked)."""
    detail = scrubbed(str(exc).splitlines()[0] if str(exc) else repr(exc), engine.url.password)
    return FleetError(
        f"cannot {action} the central fleet database {engine_url_for_display(engine)}: {detail}"
    )


def current_revision(engine: Engine) -> str | None:
    """The central schema revision, None if never migrated."""
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    except SQLAlchemyError as exc:
        raise unreachable(engine, "read the schema revision of", exc) from None


def check_schema(engine: Engine) -> None:
    """Refuse a central database that is not at this version's newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise FleetError(
            f"the central fleet database {engine_url_for_display(engine)} is at schema revision "
            f"{current or 'none'}, this prisme-drift expects {head}: the provider runs "
            "'prisme-drift fleet migrate' as the database owner (docs/fleet.md)"
        )


def migrate(engine: Engine) -> str:
    """Bring the central schema to the newest revision (as the owner); the revision reached."""
    config = _config()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except (CommandError, SQLAlchemyError) as exc:
        raise unreachable(engine, "migrate", exc) from None
    return head_revision()


def grant_site(engine: Engine, site: str, role: str) -> None:
    """Let the existing database role ``role`` write the rows of ``site``, and only those."""
    quoted = engine.dialect.identifier_preparer.quote(role)
    names = ", ".join(table.name for table in SITE_TABLES)
    try:
        with Session(engine) as session, session.begin():
            session.execute(site_roles.delete().where(site_roles.c.role_name == role))
            session.execute(site_roles.insert().values(role_name=role, site=site))
            session.execute(text(f"GRANT SELECT, INSERT, UPDATE ON {names} TO {quoted}"))
            session.execute(text(f"GRANT SELECT ON {VERSION_TABLE} TO {quoted}"))
            readable = ", ".join(table.name for table in SITE_READ_TABLES)
            session.execute(text(f"GRANT SELECT ON {readable} TO {quoted}"))
    except SQLAlchemyError as exc:
        raise unreachable(engine, f"grant site {site!r} to role {role!r} in", exc) from None
    log.info("fleet: role %s writes the rows of site %s", role, site)


def _web_policy(role: str) -> str:
    """The name of the policy that lets web role ``role`` read every site's rows."""
    return f"web_reads_{role}"[:63]


def grant_web(engine: Engine, role: str) -> None:
    """Let the existing database role ``role`` run the web page: read every site's rows (a
    SELECT policy of its own on each site table, beside the sites' row-level security), read,
    write and delete the web page's tables. Refused for a site's role: the web role is never
    one."""
    prep = engine.dialect.identifier_preparer
    quoted = prep.quote(role)
    site_tables = ", ".join(table.name for table in SITE_TABLES)
    web_tables = ", ".join(table.name for table in WEB_TABLES)
    try:
        with Session(engine) as session, session.begin():
            if not session.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                raise RefusedError(
                    f"no database role {role!r}: create it first (CREATE ROLE {role} LOGIN "
                    "PASSWORD '...'), then grant it again"
                )
            found = session.scalar(select(site_roles.c.site).where(site_roles.c.role_name == role))
            if found is not None:
                raise RefusedError(
                    f"role {role!r} writes the rows of site {found!r}: the web page needs a role "
                    "of its own, never a site's"
                )
            session.execute(text(f"GRANT SELECT ON {site_tables} TO {quoted}"))
            session.execute(text(f"GRANT SELECT ON {VERSION_TABLE} TO {quoted}"))
            session.execute(
                text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {web_tables} TO {quoted}")
            )
            for table in WEB_TABLES:
                if "id" in table.c and table.c.id.autoincrement is True:
                    sequence = f"{table.name}_id_seq"
                    session.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {quoted}"))
            policy = prep.quote(_web_policy(role))
            for table in SITE_TABLES:
                session.execute(text(f"DROP POLICY IF EXISTS {policy} ON {table.name}"))
                reads = f"FOR SELECT TO {quoted} USING (true)"
                session.execute(text(f"CREATE POLICY {policy} ON {table.name} {reads}"))
    except SQLAlchemyError as exc:
        raise unreachable(engine, f"grant the web page's role {role!r} in", exc) from None
    log.info("fleet: role %s runs the web page (reads every site, writes the web tables)", role)
