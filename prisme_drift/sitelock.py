"""One writer per site: a lock file in the state folder, held for a poll or an acceptance."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prisme_drift.errors import SiteBusyError

__all__ = ["LOCK_FILE", "SiteBusyError", "site_lock"]

LOCK_FILE = "prisme-drift.lock"


@contextmanager
def site_lock(state_dir: Path, purpose: str) -> Iterator[None]:
    """Hold the site's exclusive lock, or fail at once naming the process that holds it."""
    state_dir.mkdir(parents=True, exist_ok=True)
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
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {purpose}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
