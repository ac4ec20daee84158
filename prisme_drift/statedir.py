"""The site's state folder: private (0700 folders, 0600 files, whatever the umask), and never
recreated silently.

The state folder holds what cannot be rebuilt from the baseline: the secret-fingerprint key (a
new key makes every redacted secret look changed) and the learned SSH host keys (a new file
trusts whatever answers next). When the baseline has history but the state folder or its key
is gone, writers refuse with :class:`StateMissingError`; ``prisme-drift init --recreate-state``
re-creates it on purpose, audit-logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from prisme_drift.baseline import OBSERVED
from prisme_drift.config import Settings
from prisme_drift.errors import StateMissingError
from prisme_drift.statefiles import KEY_FILE

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) mode 0700 whatever the umask; tighten it if it
    exists with group or other access."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if path.stat().st_mode & 0o077:
        try:
            path.chmod(FOLDER_MODE)
        except PermissionError as exc:  # owned by another account: say so, do not stop
            log.warning("%s is readable by others and cannot be made 0700: %s", path, exc)


def create_private_file(path: Path) -> None:
    """Create an empty ``path`` mode 0600 if it does not exist (files that a library creates
    later with its own default mode, such as a SQLite database, inherit nothing else)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    os.close(fd)


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically by ``text``, mode 0600 (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def baseline_has_history(git_dir: Path) -> bool:
    """Whether the baseline repository has an observed branch (a site that has polled)."""
    if (git_dir / "refs" / "heads" / OBSERVED).is_file():
        return True
    packed = git_dir / "packed-refs"
    try:
        return f"refs/heads/{OBSERVED}" in packed.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def recreate_command(settings: Settings) -> str:
    """The command that re-creates the state folder on purpose."""
    return f"prisme-drift init --recreate-state {settings.source.parent}"


def missing_state(settings: Settings) -> str | None:
    """What is missing when the baseline has history but the state is gone, else None."""
    if not baseline_has_history(settings.baseline_path):
        return None
    state = settings.state_path
    if not state.is_dir():
        return f"the state folder {state} is gone"
    if not (state / KEY_FILE).is_file():
        return f"the secret-fingerprint key {state / KEY_FILE} is gone"
    return None


def ensure_state(settings: Settings) -> None:
    """Check the state folder before a write: refuse a lost state, create a new one 0700."""
    problem = missing_state(settings)
    if problem:
        raise StateMissingError(
            f"{problem}, but the baseline {settings.baseline_path} has history. Re-creating it "
            "silently would learn the devices' SSH host keys again from whoever answers and "
            "make every secret look changed. Restore the state folder from a backup; or, to "
            f"start a new state on purpose, run: {recreate_command(settings)}",
            site=settings.site.name,
        )
    make_private_dir(settings.state_path)
