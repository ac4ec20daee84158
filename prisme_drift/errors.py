"""One root exception and one subclass per pipeline stage.

Every error carries enough context (file, key, device, site) for its message to say what went
wrong and what to do about it.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


class PrismeDriftError(Exception):
    """Root of every error prisme-drift raises on purpose."""

    def __init__(self, message: str, *, device: str | None = None, site: str | None = None) -> None:
        super().__init__(message)
        self.device = device
        self.site = site

    def __str__(self) -> str:
        prefix = ""
        if self.site:
            prefix += f"[{self.site}] "
        if self.device:
            prefix += f"{self.device}: "
        return prefix + super().__str__()


class ConfigError(PrismeDriftError):
    """The settings file is missing, unreadable or invalid."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return super().__str__() + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class RefusedError(PrismeDriftError):
    """The request was understood and refused: an unknown id, a ticket that fails its checks.

    The command changed nothing; the message says what to give instead. Exit code 5.
    """


class SiteBusyError(PrismeDriftError):
    """Another prisme-drift process holds the site's lock. Exit code 6: try again later."""


class OperationalError(PrismeDriftError):
    """The machine or a store is unusable: disk full, read-only file system, corrupt database
    or repository, missing state folder. Nothing half-written is left behind. Exit code 7.
    """


class InventoryError(ConfigError):
    """The Nornir inventory or the credentials are invalid."""


class ProfileError(ConfigError):
    """A platform profile is unknown or invalid."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class CollectError(PrismeDriftError):
    """A device could not be collected. ``kind`` says why, in a fixed vocabulary.

    ``config``: the device's own settings are incomplete (no password configured); nothing was
    sent to the device, the fix is in the settings.
    """

    KINDS = ("unreachable", "auth", "timeout", "hostkey", "parse", "config", "error")

    def __init__(self, message: str, *, kind: str, device: str | None = None) -> None:
        super().__init__(message, device=device)
        if kind not in self.KINDS:
            raise ValueError(f"unknown collect error kind {kind!r}")
        self.kind = kind
        self.attempts = 1

    @property
    def retryable(self) -> bool:
        """Only transport problems are worth another try; auth never is (account lockout)."""
        return self.kind in ("unreachable", "timeout")


class NormalizeError(PrismeDriftError):
    """A configuration could not be normalized."""


class ClassifyError(PrismeDriftError):
    """Two configurations could not be compared."""


class BaselineError(OperationalError):
    """The git baseline repository is unusable (locked, corrupt, unreachable)."""


class StoreError(OperationalError):
    """The state database is unusable or at the wrong schema version."""


class GlpiError(OperationalError):
    """GLPI could not be read: unreachable, an HTTP error, an answer that is not GLPI's. The
    message names the URL and the fix, never a token. Exit code 7."""


class GlpiConfigError(GlpiError, ConfigError):
    """A ``[tickets.glpi]`` setting cannot be used: a token file missing, unreadable or empty,
    a ``ca_file`` that is not PEM. Exit code 2: the fix is in the settings."""


class FleetError(OperationalError):
    """The central fleet database cannot be used: unreachable, refused, at another schema
    revision, or a sync that ran out of time. The message names the URL (password masked) and
    the fix. The site itself is unaffected. Exit code 7."""


class DriftError(RefusedError):
    """A drift operation was refused (unknown item, already closed...)."""


class DiskFullError(OperationalError):
    """No space left (ENOSPC), a quota (EDQUOT) or a file size limit (EFBIG) stopped a write."""


class ReadOnlyError(OperationalError):
    """A file prisme-drift must write is on a read-only file system or not writable."""


class CorruptStoreError(StoreError):
    """The state database file is damaged ("database disk image is malformed", ...)."""


class StateMissingError(OperationalError):
    """The state folder of a site with a baseline is gone; it is only recreated on purpose."""


# --------------------------------------------------------------------------- translation

_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_READ_ONLY_ERRNOS = (errno.EROFS,)
#: Messages of SQLite (through sqlite3 and SQLAlchemy) and git, by the class they mean.
_DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "file too large")
_READ_ONLY_TEXT = ("attempt to write a readonly database", "read-only file system")
_CORRUPT_TEXT = ("database disk image is malformed", "file is not a database")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, its causes and contexts, and the DB-API error SQLAlchemy wraps (``.orig``)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None]
        todo += [current.__cause__, current.__context__]
    return seen


def _text_of(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None)  # GitCommandError keeps git's words there
    return f"{exc} {stderr if isinstance(stderr, str) else ''}".lower()


@dataclass(frozen=True)
class _Found:
    """What a link of an error chain says: the kind of fault, its words, and where."""

    kind: str  # full | readonly | corrupt
    detail: str
    filename: str | None
    source: str  # os | sqlite | git


def _classify(exc: BaseException) -> _Found | None:
    """The first link of the chain that says what went wrong."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in _DISK_FULL_ERRNOS + _READ_ONLY_ERRNOS:
            kind = "full" if link.errno in _DISK_FULL_ERRNOS else "readonly"
            filename = str(link.filename) if link.filename else None
            return _Found(kind, link.strerror or str(link), filename, "os")
        text = _text_of(link)
        source = "git" if isinstance(getattr(link, "stderr", None), str) else "sqlite"
        for kind, needles in (
            ("corrupt", _CORRUPT_TEXT),
            ("full", _DISK_FULL_TEXT),
            ("readonly", _READ_ONLY_TEXT),
        ):
            found = next((n for n in needles if n in text), None)
            if found:
                return _Found(kind, found, None, source)
    return None


def corrupt_store_error(database: str, detail: str, state: str | None) -> CorruptStoreError:
    """The error for a damaged state database: what, where, and how to get a sound one back."""
    backups = f"{state}/backups" if state else "the state folder's backups/"
    return CorruptStoreError(
        f"the state database {database} is corrupt ({detail}); nothing was written. Stop the "
        f"daemon, move the file aside and copy the newest backup from {backups} in its place "
        "(or let prisme-drift create an empty database: the baseline keeps the history), then "
        "run the command again"
    )


def operational_error(
    exc: BaseException,
    *,
    database: str | None = None,
    state: str | None = None,
    baseline: str | None = None,
) -> OperationalError | None:
    """The clear operational error (what, where, what to do) that ``exc`` stands for, or None.

    ``exc`` may be an OSError, a SQLAlchemy or sqlite3 error, a GitCommandError, or any error
    raised from one. ``database`` (the state database file or masked URL), ``state`` (the state
    folder) and ``baseline`` (the git repository) are named when the error names no file.
    """
    found = _classify(exc)
    if found is None:
        return None
    kind, detail = found.kind, found.detail
    if kind == "corrupt":
        return corrupt_store_error(database or "the state database", detail, state)
    folder = {"sqlite": database, "git": baseline, "os": state}[found.source]
    where = found.filename or (f"{folder}" if folder else "a file of the site")
    if kind == "full":
        return DiskFullError(
            f"the disk is full: cannot write {where} ({detail}). Free space on that file "
            "system (df -h), then run the command again: what this run left half-done is "
            "repaired when the next one starts"
        )
    return ReadOnlyError(
        f"cannot write {where}: {detail}. Remount the file system read-write, or give this "
        "user write access to the file and its folder (with systemd: ReadWritePaths=, "
        "StateDirectory=), then run the command again"
    )
