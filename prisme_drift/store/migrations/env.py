"""Alembic environment of the prisme-drift state database.

prisme-drift runs the migrations itself (``prisme_drift.store.migrate.upgrade``) and hands its
connection over in ``config.attributes["connection"]``; that connection is already inside a
locked transaction, which Alembic then leaves to the caller to commit.

Developers can also use the Alembic command line with the ``alembic.ini`` of this folder:

    alembic -c prisme_drift/store/migrations/alembic.ini -x url=sqlite:///dev.db \\
        revision --autogenerate -m "what changed"
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from prisme_drift.store.engine import make_engine
from prisme_drift.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _url_from_command_line() -> str:
    """The database URL given with ``-x url=...`` or ``sqlalchemy.url`` (command-line use)."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database URL: alembic -x url=sqlite:///path/to/state.db ...")
    return url


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | Literal[False]:
    """Autogenerate: write UTCDateTime as a plain DateTime, so revisions import no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    """Run the migrations on ``connection``; SQLite needs batch mode to alter tables."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Print the SQL of the migrations instead of running it (``alembic upgrade --sql``)."""
    engine = make_engine(_url_from_command_line())
    context.configure(
        dialect_name=engine.dialect.name,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on the command line's URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(_url_from_command_line())
    try:
        with engine.connect() as own_connection:
            _configure_and_run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
