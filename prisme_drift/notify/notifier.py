"""What every notifier shares: the values it delivers, its Protocol, its errors, secret files.

A notifier is one module (``mail``, ``webhook``) exposing ``from_settings(settings)`` and a class
with ``channel``, ``describe()`` and ``deliver(notification, wording)``; ``registry`` lists them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from prisme_drift.errors import PrismeDriftError, RefusedError, SiteBusyError
from prisme_drift.scrub import remember
from prisme_drift.secretpaths import read_secret, unset_credentials_directory


class NotifyError(PrismeDriftError):
    """A notification could not be recorded, rendered or delivered."""


class OutboxRefusedError(NotifyError, RefusedError):
    """An outbox request was refused: unknown message, already sent or digested (exit 5)."""


class OutboxBusyError(NotifyError, SiteBusyError):
    """Another process is delivering the message right now (exit 6: try again later)."""


class DeliveryError(NotifyError):
    """A delivery failed. ``kind`` says where (dns, connect, tls, auth, sender, recipient, ...);
    ``fix`` says what to change. The message never holds a password or token."""

    def __init__(self, message: str, *, kind: str, fix: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.fix = fix

    def explain(self) -> str:
        """The message and its fix, for people."""
        return f"{self} (fix: {self.fix})" if self.fix else str(self)


@dataclass(frozen=True)
class EventView:
    """An event as notifiers see it (the payload is what the event recorded, plain JSON)."""

    id: int
    kind: str
    site: str
    device: str | None
    created_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """One message to deliver: ``kind`` is ``events``, ``digest`` or ``test``."""

    site: str
    kind: str
    events: tuple[EventView, ...]
    created_at: datetime
    message_id: int | None = None


@dataclass(frozen=True)
class Wording:
    """How to word a notification: language, the site's timezone, settings file for commands;
    ``templates`` is the site's folder of email template overrides ("" for none) and the
    ``provider*`` fields the provider's identity, which site templates may print."""

    language: str = "fr"
    timezone: str = "UTC"
    config_path: str = ""
    client: str = ""
    max_per_hour: int = 20
    known_hosts: str = "state/known_hosts"
    templates: str = ""
    provider: str = ""
    provider_address: str = ""
    provider_contact: str = ""


class Notifier(Protocol):
    """A delivery channel. ``deliver`` returns a short note or raises DeliveryError."""

    channel: str
    timeout: float

    def describe(self) -> str:
        """Where it delivers, without any secret (``smtp.example.net:587 starttls -> it@...``)."""
        ...

    def deliver(self, notification: Notification, wording: Wording) -> str:
        """Deliver one notification; return a note on success, raise DeliveryError otherwise."""
        ...


def read_secret_file(path: Path, what: str, key: str) -> str:
    """The secret held in ``path`` (trailing newline stripped); DeliveryError naming the key."""
    unset = unset_credentials_directory(path, key)
    if unset:
        raise DeliveryError(
            f"cannot read the {what} file {path}", kind="config", fix=unset
        ) from None
    try:
        value = read_secret(path)
    except OSError as exc:
        raise DeliveryError(
            f"cannot read the {what} file {path}: {exc.strerror or exc}",
            kind="config",
            fix=f"create it (mode 0600) or correct {key} in the settings",
        ) from None
    if not value:
        raise DeliveryError(
            f"the {what} file {path} is empty", kind="config", fix=f"write the {what} in it"
        )
    remember(value)
    return value


def is_private(path: Path) -> bool:
    """True if no one but the owner can read ``path`` (a secret file should be 0600 or 0400)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return not mode & (stat.S_IRWXG | stat.S_IRWXO)
