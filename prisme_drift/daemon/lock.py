"""One daemon per site: an ``flock`` on ``state/daemon.lock``, which holds the daemon's pid.

The kernel drops the lock when the process dies, however it dies (``kill -9`` included), so a
stale file never blocks a restart. The descriptor is close-on-exec: a ``git`` child left behind
cannot keep the lock alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from prisme_drift.errors import SiteBusyError

log = logging.getLogger(__name__)

LOCK_NAME = "daemon.lock"


class DaemonRunningError(SiteBusyError):
    """Another daemon holds the site's daemon lock; ``pid`` says which, when known."""

    def __init__(self, message: str, *, pid: int | None, site: str | None = None) -> None:
        super().__init__(message, site=site)
        self.pid = pid


def read_pid(path: Path) -> int | None:
    """The pid written in a lock file, or None."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DaemonLock:
    """Context manager holding ``<state>/daemon.lock``; raises DaemonRunningError if taken."""

    def __init__(self, state_dir: Path, site: str) -> None:
        self.path = state_dir / LOCK_NAME
        self.site = site
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our pid in it, or raise naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = read_pid(self.path)
            holder = f"pid {pid}" if pid else "an unknown process"
            raise DaemonRunningError(
                f"a prisme-drift daemon is already running for this site ({holder} holds "
                f"{self.path}); stop it first (systemctl stop, or kill {pid or '<pid>'})",
                pid=pid,
                site=self.site,
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            os.fsync(fd)
        except OSError as exc:  # a full disk must not stop the daemon here: the flock is held
            log.warning(
                "[%s] cannot write the pid into %s (%s); the lock is held all the same",
                self.site,
                self.path,
                exc.strerror or exc,
            )
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; its content no longer matters)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def running_daemon_pid(state_dir: Path) -> int | None:
    """The pid of the site's running daemon, or None (read-only: never touches the lock)."""
    pid = read_pid(state_dir / LOCK_NAME)
    return pid if pid is not None and pid_alive(pid) else None
