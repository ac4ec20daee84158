"""The site's locks, one implementation: an ``flock`` on a file in the state folder.

- ``state/prisme-drift.lock`` (:func:`site_lock`): one writer per site, held for a poll, an
  acceptance, a recovery; another writer fails at once with SiteBusyError (exit 6).
- ``state/daemon.lock`` (:class:`DaemonLock`): one daemon per site, held for the daemon's life;
  a second daemon fails with DaemonRunningError, a SiteBusyError (exit 6).

The file names its holder (``pid 1234: poll``), so the refusal says who to wait for or stop. The
kernel drops an flock when its process dies, however it dies (``kill -9`` included), so a stale
file never blocks anyone; the descriptor is close-on-exec, so a child (``git``) left behind
cannot keep a lock alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from prisme_drift.errors import SiteBusyError
from prisme_drift.statedir import make_private_dir

__all__ = [
    "DAEMON_LOCK",
    "LOCK_FILE",
    "DaemonLock",
    "DaemonRunningError",
    "FileLock",
    "LockHeld",
    "SiteBusyError",
    "running_daemon_pid",
    "site_lock",
]

log = logging.getLogger(__name__)

LOCK_FILE = "prisme-drift.lock"
DAEMON_LOCK = "daemon.lock"
_PID = re.compile(r"^\s*(?:pid\s+)?(\d+)")


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what its file says."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder
        found = _PID.match(holder)
        self.pid = int(found.group(1)) if found else None


class DaemonRunningError(SiteBusyError):
    """Another daemon holds the site's daemon lock; ``pid`` says which, when known."""

    def __init__(self, message: str, *, pid: int | None, site: str | None = None) -> None:
        super().__init__(message, site=site)
        self.pid = pid


class FileLock:
    """An exclusive, non-blocking, close-on-exec ``flock`` on ``path`` naming its holder.

    ``must_name_holder``: fail (OSError naming the file) when the holder line cannot be written
    (a full disk), instead of holding the lock anonymously with a warning.
    """

    def __init__(self, path: Path, purpose: str, *, must_name_holder: bool = True) -> None:
        self.path = path
        self.purpose = purpose
        self.must_name_holder = must_name_holder
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write ``pid N: purpose`` in it, or raise LockHeld."""
        make_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise LockHeld(holder) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {self.purpose}\n".encode(), 0)
        except OSError as exc:
            if self.must_name_holder:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
            log.warning(
                "cannot write the holder into %s (%s); the lock is held all the same",
                self.path,
                exc.strerror or exc,
            )
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays, emptied: its content no longer matters)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


@contextmanager
def site_lock(state_dir: Path, purpose: str) -> Iterator[None]:
    """Hold the site's writer lock, or fail at once naming the process that holds it."""
    path = state_dir / LOCK_FILE
    try:
        lock = FileLock(path, purpose)
        lock.acquire()
    except LockHeld as held:
        raise SiteBusyError(
            f"the site is busy ({held.holder or 'unknown process'}); wait for it to finish or "
            f"stop it (lock file {path})"
        ) from None
    try:
        yield
    finally:
        lock.release()


class DaemonLock(FileLock):
    """``<state>/daemon.lock``, held by the daemon; raises DaemonRunningError if taken."""

    def __init__(self, state_dir: Path, site: str) -> None:
        # a full disk must not stop the daemon here: the flock is what counts
        super().__init__(state_dir / DAEMON_LOCK, "daemon", must_name_holder=False)
        self.site = site

    def acquire(self) -> None:
        """Take the lock, or raise DaemonRunningError naming the daemon that holds it."""
        try:
            super().acquire()
        except LockHeld as held:
            pid = held.pid
            holder = f"pid {pid}" if pid else "an unknown process"
            raise DaemonRunningError(
                f"a prisme-drift daemon is already running for this site ({holder} holds "
                f"{self.path}); stop it first (systemctl stop, or kill {pid or '<pid>'})",
                pid=pid,
                site=self.site,
            ) from None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def running_daemon_pid(state_dir: Path) -> int | None:
    """The pid of the site's running daemon, or None (read-only: never touches the lock)."""
    try:
        found = _PID.match((state_dir / DAEMON_LOCK).read_text(encoding="utf-8"))
    except OSError:
        return None
    pid = int(found.group(1)) if found else None
    return pid if pid is not None and _pid_alive(pid) else None
