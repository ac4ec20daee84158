"""Alembic migrations: upgrade, downgrade, ensure_schema and consistency with models.py."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from prisme_drift.errors import StoreError
from prisme_drift.store.engine import ensure_schema, make_engine
from prisme_drift.store.migrate import current_revision, downgrade, head_revision, upgrade
from prisme_drift.store.models import Base

#: The newest shipped revision; a new migration moves it (and may add to TABLES).
HEAD = "0005"
TABLES = {"devices", "polls", "device_polls", "drift_items"}
TABLES |= {"events", "outbox", "outbox_events"}  # 0002: notifications
TABLES |= {"tickets", "audit_log"}  # 0003: change tickets, audit trail
TABLES |= {"daemon_state", "job_states"}  # 0005: the daemon's job state


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_head_is_the_newest_revision() -> None:
    assert head_revision() == HEAD


def test_fresh_database_has_no_revision(db_engine: Engine) -> None:
    assert current_revision(db_engine) is None
    assert _tables(db_engine) == set()


def test_upgrade_creates_tables(db_engine: Engine) -> None:
    upgrade(db_engine)
    assert current_revision(db_engine) == HEAD
    assert _tables(db_engine) == TABLES == set(Base.metadata.tables)


def test_downgrade_to_base_then_upgrade_again(db_engine: Engine) -> None:
    upgrade(db_engine, "head")
    downgrade(db_engine, "base")
    assert current_revision(db_engine) is None
    assert _tables(db_engine) == set()
    upgrade(db_engine)
    assert current_revision(db_engine) == HEAD
    assert _tables(db_engine) == TABLES


def test_ensure_schema_is_repeatable(db_engine: Engine) -> None:
    ensure_schema(db_engine)
    ensure_schema(db_engine)
    assert current_revision(db_engine) == HEAD


def test_ensure_schema_concurrently(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(engines))

    def run(engine: Engine) -> None:
        barrier.wait()
        try:
            ensure_schema(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert current_revision(engines[0]) == HEAD
    for engine in engines:
        engine.dispose()


def test_ensure_schema_refuses_unknown_revision(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="'9999', unknown to this version"):
        ensure_schema(migrated_engine)


def test_upgrade_to_unknown_revision_is_a_store_error(db_engine: Engine) -> None:
    with pytest.raises(StoreError, match="upgrade to nope"):
        upgrade(db_engine, "nope")


def test_migration_matches_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _reflected_names(engine: Engine, table: str) -> set[str | None]:
    inspector = inspect(engine)
    names: set[str | None] = {inspector.get_pk_constraint(table)["name"]}
    names |= {fk["name"] for fk in inspector.get_foreign_keys(table)}
    names |= {uq["name"] for uq in inspector.get_unique_constraints(table)}
    names |= {ix["name"] for ix in inspector.get_indexes(table)}
    return names


def test_constraint_names_follow_the_naming_convention(migrated_engine: Engine) -> None:
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if c.name} | {i.name for i in table.indexes}
        assert _reflected_names(migrated_engine, table.name) == expected, table.name


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0004_adds_devices_removed_at_and_keeps_the_devices(db_engine: Engine) -> None:
    upgrade(db_engine, "0003")
    with db_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO devices (site, name, platform, hostname, port, consecutive_failures)"
                " VALUES ('s1', 'sw01', 'ios', '192.0.2.1', 22, 0)"
            )
        )
    assert "removed_at" not in _columns(db_engine, "devices")
    upgrade(db_engine, "0004")
    assert "removed_at" in _columns(db_engine, "devices")
    with db_engine.begin() as connection:
        row = connection.execute(text("SELECT name, removed_at FROM devices")).one()
        assert tuple(row) == ("sw01", None)
        connection.execute(text("UPDATE devices SET removed_at = CURRENT_TIMESTAMP"))
    downgrade(db_engine, "0003")
    assert "removed_at" not in _columns(db_engine, "devices")
    with db_engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM devices")).scalars().all() == ["sw01"]


def test_0005_adds_the_job_state_tables_and_drops_them_on_downgrade(db_engine: Engine) -> None:
    upgrade(db_engine, "0004")
    assert not {"daemon_state", "job_states"} & set(inspect(db_engine).get_table_names())
    upgrade(db_engine, "0005")
    assert {"daemon_state", "job_states"} <= set(inspect(db_engine).get_table_names())
    assert "failing_since" in _columns(db_engine, "job_states")
    downgrade(db_engine, "0004")
    assert not {"daemon_state", "job_states"} & set(inspect(db_engine).get_table_names())
