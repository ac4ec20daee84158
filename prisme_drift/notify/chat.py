"""Chat channels through Apprise: one channel per ``[notify] urls`` entry (WhatsApp, Teams,
Telegram, Matrix, Slack, ntfy, plain ``json://`` ...).

Each URL is a channel of its own in the outbox, named after its scheme (``whatsapp``,
``msteams``, ``json``; ``json-2`` for the second ``json://`` URL), with the same delivery,
backoff, dedupe, grouping and storm limit as email. The secrets of a URL are references
(``secreturls``) read at each delivery; messages and logs show the URL as Apprise masks it.
Apprise's own retries are off (``retry=0`` by default): the outbox retries a failed delivery.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.notify.notifier import DeliveryError, Notification, Wording
from prisme_drift.notify.render import render_chat
from prisme_drift.scrub import scrub
from prisme_drift.secreturls import display_url, resolve_url, scheme_of

#: The column ``outbox.channel`` holds 16 characters.
NAME_LENGTH = 16
#: Channel names the project's own notifiers use.
RESERVED = ("email", "webhook")
#: Connect and read timeout, seconds, unless the URL sets Apprise's ``cto`` / ``rto``.
TIMEOUT = 10.0
_HTTP_STATUS = re.compile(r"error=(\d{3})")


def channel_urls(settings: Settings) -> dict[str, str]:
    """Channel name -> URL, in the order of ``[notify] urls``."""
    names: dict[str, str] = {}
    for url in settings.notify.urls:
        scheme = scheme_of(url)
        base = f"apprise-{scheme}" if scheme in RESERVED else scheme
        base = base[: NAME_LENGTH - 3]
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        names[name] = url
    return names


def url_key(settings: Settings, url: str) -> str:
    """``[notify] urls[2]``: the setting a URL comes from (1-based, as people count)."""
    return f"[notify] urls[{settings.notify.urls.index(url) + 1}]"


def notifiers(settings: Settings) -> dict[str, ChatNotifier]:
    """One notifier per URL (no secret is read until a delivery)."""
    base = settings.source.parent
    return {
        name: ChatNotifier(name, url, url_key(settings, url), base)
        for name, url in channel_urls(settings).items()
    }


class _Capture(logging.Handler):
    """Keeps what Apprise says (warnings and errors) while it delivers one message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(scrub(record.getMessage()))


@contextmanager
def _captured() -> Iterator[_Capture]:
    logger = logging.getLogger("apprise")
    capture = _Capture()
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)


class ChatNotifier:
    """Delivers notifications, worded short (``chat.txt``), to one Apprise URL."""

    def __init__(self, channel: str, url: str, key: str, base: Path) -> None:
        self.channel = channel
        self.url = url
        self.key = key
        self.base = base
        self.timeout = TIMEOUT

    def describe(self) -> str:
        """``apprise json://user:****@host:port/path`` (masked as Apprise masks it)."""
        return f"apprise {display_url(self.url)} ({self.key})"

    def deliver(self, notification: Notification, wording: Wording) -> str:
        """Send the short message; any failure is a DeliveryError naming the step."""
        message = render_chat(notification, wording)
        plugin = self._plugin()
        with _captured() as capture:
            try:
                ok = bool(plugin.notify(body=message.body, title=message.subject))
            except Exception as exc:  # a plugin bug must not escape without its step
                capture.lines.append(scrub(f"{type(exc).__name__}: {exc}"))
                ok = False
        where = display_url(self.url)
        if ok:
            return f"accepted by {where}"
        raise self._failure(where, capture.lines)

    def _plugin(self) -> Any:
        """Apprise's plugin for the URL with its secrets read now."""
        from apprise import Apprise

        try:
            resolved = resolve_url(self.url, self.base, self.key)
        except ConfigError as exc:
            raise DeliveryError(
                str(exc), kind="config", fix=f"create the file or correct {self.key}"
            ) from None
        plugin = Apprise.instantiate(resolved, suppress_exceptions=True)
        if plugin is None:
            raise DeliveryError(
                f"Apprise does not accept {display_url(self.url)} once its secrets are read in",
                kind="config",
                fix=f"check the secret files {self.key} refers to (one value each)",
            )
        for attribute, arg in (("socket_connect_timeout", "cto="), ("socket_read_timeout", "rto=")):
            if arg not in self.url:
                setattr(plugin, attribute, self.timeout)
        return plugin

    def _failure(self, where: str, said: list[str]) -> DeliveryError:
        """What Apprise said, as a step: ``http`` (a status), ``connect``, else ``send``."""
        detail = "; ".join(dict.fromkeys(said)) or "Apprise reported a failure"
        status = _HTTP_STATUS.search(detail)
        if status:
            fix = {"401": "the token", "403": "the token", "404": "the URL"}.get(status.group(1))
            return DeliveryError(
                f"{where} answered HTTP {status.group(1)}: {detail}",
                kind="http",
                fix=f"check {fix} in {self.key}" if fix else "",
            )
        if "connection error" in detail.lower():
            return DeliveryError(
                f"cannot reach {where}: {detail}", kind="connect", fix=f"check {self.key}"
            )
        return DeliveryError(f"{where}: {detail}", kind="send", fix=f"check {self.key}")
