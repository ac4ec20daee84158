"""Git commands run as watched child processes: interruptible ``git fsck`` and friends.

A caller asked to stop (the daemon at SIGTERM) terminates them (git removes its own lock files on
SIGTERM) instead of waiting minutes for them. Used by start-up recovery and by the daemon's
maintenance job.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from prisme_drift.errors import PrismeDriftError


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
    git_dir: Path,
    args: list[str],
    stop: threading.Event | None = None,
    timeout: float = 3600,
    env: Mapping[str, str] | None = None,
) -> GitResult:
    """``git --git-dir GIT_DIR ARGS``; terminated if ``stop`` is set or ``timeout`` passes.

    ``env`` adds to (or overrides) the process environment, e.g. how to reach a remote."""
    command = ["git", "--git-dir", str(git_dir), *args]
    proc = subprocess.Popen(  # noqa: S603 - fixed git command line, no shell
        command,
        cwd=git_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {}), "LC_ALL": "C"},
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
