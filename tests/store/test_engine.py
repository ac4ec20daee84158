"""make_engine, mask_url, the SQLite pragmas and session_factory."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from prisme_drift.errors import StoreError
from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
from prisme_drift.store.migrate import current_revision
from prisme_drift.store.urls import mask_url

SECRET = "S3cr3t-Pa55"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://admin:S3cr3t-Pa55@db:5432/prisme", "postgresql://admin:***@db:5432/prisme"),
        ("postgresql://admin@db/prisme", "postgresql://admin@db/prisme"),
        ("postgresql://admin:S3cr3t-Pa55@x@db/prisme", "postgresql://admin:***@db/prisme"),
        ("postgresql://admin:S3cr3t-Pa55", "postgresql://admin:***"),
        ("postgresql://db:5432/prisme", "postgresql://db:5432/prisme"),
        (
            "postgresql://u@db/p?password=S3cr3t-Pa55&sslmode=require",
            "postgresql://u@db/p?password=***&sslmode=require",
        ),
        ("host=db user=u password=S3cr3t-Pa55", "host=db user=u password=***"),
        ("sqlite:////var/lib/prisme-drift/state.db", "sqlite:////var/lib/prisme-drift/state.db"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert mask_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:S3cr3t-Pa55@db:notaport/prisme",
        "postgresql://admin:S3cr3t-Pa55",
        "mysql://admin:S3cr3t-Pa55@db/prisme",
        "not a url password=S3cr3t-Pa55",
        "postgresql+nosuchdriver://admin:S3cr3t-Pa55@db/prisme",
    ],
)
def test_make_engine_bad_url_masks_password(url: str) -> None:
    with pytest.raises(StoreError) as excinfo:
        make_engine(url)
    message = str(excinfo.value)
    assert SECRET not in message
    assert "***" in message
    assert "postgresql://user:password@dbhost" in message or "pip install" in message


def test_unreachable_postgresql_error_masks_password() -> None:
    engine = make_engine(f"postgresql://admin:{SECRET}@127.0.0.1:1/prisme?connect_timeout=2")
    with pytest.raises(StoreError) as excinfo:
        current_revision(engine)
    assert SECRET not in str(excinfo.value)
    assert "admin:***@127.0.0.1:1/prisme" in str(excinfo.value)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_plain_postgresql_url_uses_psycopg3(scheme: str) -> None:
    engine = make_engine(f"{scheme}://u:{SECRET}@db.example/prisme")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"
    assert SECRET not in repr(engine)


def test_query_string_password_is_masked_in_repr() -> None:
    engine = make_engine(f"postgresql://u@db.example/prisme?password={SECRET}")
    assert engine.url.password == SECRET
    assert "password" not in engine.url.query
    assert SECRET not in repr(engine)


def test_sqlite_parent_folder_is_created(tmp_path: Path) -> None:
    db_file = tmp_path / "a" / "b" / "state.db"
    engine = make_engine(f"sqlite:///{db_file}")
    assert db_file.parent.is_dir()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert db_file.is_file()
    engine.dispose()


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder"):
        make_engine(f"sqlite:///{blocker / 'state.db'}")


def test_sqlite_in_memory_is_accepted() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def _pragma(engine: Engine, name: str) -> object:
    with session_factory(engine)() as session:
        return session.execute(text(f"PRAGMA {name}")).scalar_one()


def test_sqlite_pragmas_in_force_on_session_connections(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    ensure_schema(engine)  # runs with foreign keys off: they must be back on afterwards
    factory = session_factory(engine)
    with factory() as first, factory() as second:  # two pooled connections
        for session in (first, second):
            assert session.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert session.execute(text("PRAGMA busy_timeout")).scalar_one() == 10000
            assert session.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
    engine.dispose()


def test_session_factory_keeps_objects_after_commit(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    factory = session_factory(engine)
    assert factory.kw["expire_on_commit"] is False
    assert factory.kw["bind"] is engine
    engine.dispose()


@pytest.mark.postgres
def test_password_never_logged(pg_db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    # The test cluster trusts local connections: any password is accepted.
    url = make_url(pg_db_url).set(password=SECRET).render_as_string(hide_password=False)
    caplog.set_level(logging.DEBUG)
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    assert "upgrading the state database" in caplog.text
    assert SECRET not in caplog.text
