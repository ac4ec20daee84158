"""One writer per site: a lock file in the state folder, held for a poll or an acceptance."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prisme_drift.errors import SiteBusyError
from prisme_drift.statedir import make_private_dir

__all__ = ["LOCK_FILE", "SiteBusyError", "site_lock"]

LOCK_FILE = "prisme-drift.lock"


@contextmanager
def site_lock(state_dir: Path, purpose: str) -> Iterator[None]:
    """Hold the site's exclusive lock, or fail at once naming the process that holds it."""
    make_private_dir(state_dir)
    path = state_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            raise SiteBusyError(
                f"the site is busy ({holder}); wait for it to finish or stop it (lock file {path})"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {purpose}\n".encode(), 0)
        except OSError as exc:  # disk full: name the file in the message
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
