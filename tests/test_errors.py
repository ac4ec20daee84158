"""Disk full, read-only and corrupt-store errors, produced for real, said plainly."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from prisme_drift.errors import (
    CorruptStoreError,
    ReadOnlyError,
    StoreError,
    operational_error,
)
from prisme_drift.store.engine import ensure_schema, make_engine
from tests.conftest import SmallDisk


def raised(action: object) -> BaseException:
    try:
        action()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_a_read_only_file_system_names_the_file_and_the_fix(small_disk: SmallDisk) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], check=True)
    target = small_disk.path / "state.txt"
    error = operational_error(raised(lambda: target.write_text("x")))
    assert isinstance(error, ReadOnlyError)
    assert f"cannot write {target}" in str(error) and "Remount" in str(error)


def test_a_read_only_database_is_a_read_only_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    exc = raised(lambda: conn.execute("INSERT INTO t VALUES (1)"))
    error = operational_error(exc, database=str(path))
    assert isinstance(error, ReadOnlyError)
    assert str(path) in str(error) and "attempt to write a readonly database" in str(error)


def test_a_file_that_is_not_a_database_through_sqlalchemy_is_a_corrupt_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not SQLite at all" * 200)
    exc = raised(lambda: ensure_schema(make_engine(f"sqlite:///{path}")))
    assert isinstance(exc, StoreError)  # the engine's own error, vague about the fix
    error = operational_error(exc, database=str(path), state=str(tmp_path))
    assert isinstance(error, CorruptStoreError)
    assert f"state database {path} is corrupt (file is not a database)" in str(error)
    assert f"{tmp_path}/backups" in str(error)


@pytest.mark.parametrize("exc", [ValueError("no"), KeyError("x"), OSError(2, "No such file")])
def test_other_errors_are_not_translated(exc: BaseException) -> None:
    assert operational_error(exc) is None
