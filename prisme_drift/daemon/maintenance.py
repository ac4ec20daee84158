"""Maintenance work: ``git gc``, SQLite online backups.

``git gc`` runs as a watched child process (``baseline.gitproc``) that a stopping daemon
terminates. Backups of
a SQLite state database go through ``sqlite3.Connection.backup`` (the online backup API: a
consistent copy while the daemon keeps writing), are checked with ``quick_check``, then renamed
into place: a backup file that exists is a complete one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from prisme_drift.baseline.gitproc import MaintenanceError, git_fsck, run_git
from prisme_drift.store.check import sqlite_file, sqlite_quick_check

__all__ = [
    "BACKUP_DIR",
    "MaintenanceError",
    "backup_sqlite",
    "git_fsck",
    "git_gc",
    "prune_backups",
    "run_git",
    "sqlite_file",
    "sqlite_quick_check",
]

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
BACKUP_PREFIX = "prisme-drift-"
BACKUP_SUFFIX = ".sqlite"
PARTIAL_SUFFIX = ".partial"


def git_gc(git_dir: Path, stop: threading.Event | None = None) -> str:
    """``git gc``; returns a short note, raises MaintenanceError on failure."""
    before = _size(git_dir)
    result = run_git(git_dir, ["gc", "--quiet"], stop)
    if not result.ok:
        raise MaintenanceError(f"git gc of {git_dir} failed: {result.summary()}")
    return f"git gc: {before // 1024} KiB -> {_size(git_dir) // 1024} KiB"


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


# --------------------------------------------------------------------------- SQLite


def backup_sqlite(source: Path, folder: Path, keep: int, now: datetime) -> Path:
    """A verified online backup of ``source`` in ``folder``; keeps the ``keep`` newest."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{BACKUP_PREFIX}{now:%Y%m%dT%H%M%SZ}{BACKUP_SUFFIX}"
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # 0600 from birth
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            verdict = [str(r[0]) for r in dst.execute("PRAGMA quick_check").fetchall()]
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != ["ok"]:
        partial.unlink(missing_ok=True)
        raise MaintenanceError(f"the backup of {source} fails quick_check: {verdict[:3]}")
    os.chmod(partial, 0o600)
    _fsync(partial)
    os.replace(partial, final)
    _fsync(folder)
    prune_backups(folder, keep)
    return final


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups beyond ``keep`` and any partial leftovers; returns them."""
    leftovers = sorted(folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}{PARTIAL_SUFFIX}"))
    backups = sorted(folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))
    doomed = leftovers + backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
