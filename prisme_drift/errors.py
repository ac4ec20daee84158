"""One root exception and one subclass per pipeline stage.

Every error carries enough context (file, key, device, site) for its message to say what went
wrong and what to do about it.
"""

from __future__ import annotations


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


class DriftError(RefusedError):
    """A drift operation was refused (unknown item, already closed...)."""
