"""Maintenance work: git commands that can be interrupted, SQLite online backups.

``git gc`` and ``git fsck`` run as child processes we watch: a daemon asked to stop terminates
them (git removes its own lock files on SIGTERM) instead of waiting minutes for them. Backups of
a SQLite state database go through ``sqlite3.Connection.backup`` (the online backup API: a
consistent copy while the daemon keeps writing), are checked with ``quick_check``, then renamed
into place: a backup file that exists is a complete one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from prisme_drift.errors import PrismeDriftError

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
BACKUP_PREFIX = "prisme-drift-"
BACKUP_SUFFIX = ".sqlite"
PARTIAL_SUFFIX = ".partial"


class MaintenanceError(PrismeDriftError):
    """A maintenance step failed or was interrupted."""


@dataclass(frozen=True)
class GitResult:
    """A git command's exit code and merged output."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def summary(self, lines: int = 5) -> str:
        """The first lines of the output, on one line."""
        kept = [line.strip() for line in self.output.splitlines() if line.strip()][:lines]
        return "; ".join(kept) or f"exit code {self.returncode}"


def run_git(
    git_dir: Path, args: list[str], stop: threading.Event | None = None, timeout: float = 3600
) -> GitResult:
    """``git --git-dir GIT_DIR ARGS``; terminated if ``stop`` is set or ``timeout`` passes."""
    command = ["git", "--git-dir", str(git_dir), *args]
    proc = subprocess.Popen(  # noqa: S603 - fixed git command line, no shell
        command,
        cwd=git_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        start_new_session=True,  # its own process group: a stop reaches gc's children too
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            out, _ = proc.communicate(timeout=0.5)
            return GitResult(proc.returncode, out or "")
        except subprocess.TimeoutExpired:
            if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                _terminate(proc)
                why = "the daemon is stopping" if stop is not None and stop.is_set() else "timeout"
                raise MaintenanceError(f"git {args[0]} interrupted ({why})") from None


def _terminate(proc: subprocess.Popen[str]) -> None:
    """SIGTERM to git's process group (git cleans its locks), then SIGKILL after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def git_fsck(git_dir: Path, stop: threading.Event | None = None) -> str | None:
    """None when ``git fsck`` finds the repository sound, else what it reported."""
    if not (git_dir / "HEAD").exists():
        return f"{git_dir} is not a git repository (no HEAD)"
    result = run_git(git_dir, ["fsck", "--no-progress", "--no-dangling", "--full"], stop)
    if result.ok:
        return None
    return f"git fsck of {git_dir} failed: {result.summary()}"


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


def backup_sqlite(source: Path, folder: Path, keep: int, now: datetime) -> Path:
    """A verified online backup of ``source`` in ``folder``; keeps the ``keep`` newest."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{BACKUP_PREFIX}{now:%Y%m%dT%H%M%SZ}{BACKUP_SUFFIX}"
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    partial.unlink(missing_ok=True)
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
