"""The one scrubber: every text that can leave the process goes through :func:`scrub`.

Log records (through :class:`LogGuard`, installed on the root handlers by the CLI and the
daemon), error messages the CLI prints, event payloads (the events table, emails, webhooks) and
the daemon's job errors (its job state) all pass here. Two nets, both always on:

- **Known secret values.** The secrets a caller names, plus every secret this process has read
  (device passwords, the SMTP password, GLPI and webhook tokens, database passwords): readers
  hand them to :func:`remember` when they read them. Each is masked as ``***``, and so is its
  base64 form (SMTP ``AUTH PLAIN``/``LOGIN`` send it so).
- **No raw device output in logs.** The library loggers that echo what travels on an SSH
  channel at DEBUG (Netmiko's ``read_channel``/``write_channel`` lines carry the whole running
  configuration; asyncssh; paramiko packet dumps) are capped by :class:`LogGuard` at every
  verbosity, ``-vv`` included.
- **No false errors.** paramiko's "Socket exception" at the end of a connection the device
  closed (a hang-up on ``exit``) is shown as DEBUG at ``-vv`` only: the poll says what failed.
- **No HTTP request lines in logs.** httpx logs each request's URL at INFO (a webhook URL may be
  a secret) and httpcore each protocol step at DEBUG; Apprise (the chat channels) logs URLs and
  payloads at DEBUG, and requests/urllib3 under it each request line: all capped below WARNING.

Device configurations are redacted by the profiles (``normalize.secrets``) before they are
stored; this module is the last line of defence for everything else.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
#: Shorter remembered values are not masked everywhere (masking every "ab" would garble logs);
#: a secret a caller names explicitly is always masked, whatever its length.
MIN_REMEMBERED = 4

_REMEMBERED: set[str] = set()
_LOCK = threading.Lock()


def remember(*values: object) -> None:
    """Mask these secret values in every later scrub of this process (logs included); None
    and empty values are ignored, others are taken as text (a YAML password may be a number)."""
    texts = (str(v) for v in values if v is not None)
    fresh = {t for t in texts if len(t) >= MIN_REMEMBERED}
    if fresh:
        with _LOCK:
            _REMEMBERED.update(fresh)


def _forms(secrets: Iterable[str]) -> list[str]:
    """Each secret and its base64 form, longest first (a secret inside another one)."""
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms.add(secret)
            forms.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` and every remembered secret (and their base64 forms) masked."""
    with _LOCK:
        known = list(_REMEMBERED)
    for form in _forms([*secrets, *known]):
        if form in text:
            text = text.replace(form, MASK)
    return text


def scrub_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string scrubbed."""
    secrets = list(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: scrub_data(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item, secrets) for item in value]
    return value


# --------------------------------------------------------------------------- logging

#: Loggers that echo SSH channel data at DEBUG: nothing below INFO from them is ever emitted.
CHANNEL_LOGGERS = ("netmiko", "asyncssh")
#: The HTTP clients' loggers (GLPI, the webhook, Apprise for the chat channels): httpx logs every
#: request line at INFO, and a webhook URL may itself be a secret; httpcore logs each protocol
#: step at DEBUG; Apprise logs URLs and payloads at DEBUG. Nothing below WARNING from them is
#: ever emitted.
HTTP_LOGGERS = ("httpx", "httpcore", "apprise", "requests", "urllib3")
#: paramiko logs packets as hex dumps ("OUT: 00 0A 14 ...") when a transport's hexdump is on.
_PACKET_DUMP = re.compile(r"^(?:IN|OUT): (?:[0-9A-F]{2} )")
_FORMATTER = logging.Formatter()
#: paramiko's transport thread logs the end of a connection the device closed under it (a
#: hang-up on ``exit``, a reset) as "ERROR ... Socket exception: ...". The session's outcome
#: already says whether anything failed (a fetch cut short is a classified CollectError), so
#: the line is debug information: shown as DEBUG at ``-vv``, never as an error.
_SOCKET_END = "Socket exception: "


def _within(name: str, loggers: tuple[str, ...]) -> bool:
    return any(name == n or name.startswith(n + ".") for n in loggers)


def _echoes_channel(record: logging.LogRecord) -> bool:
    name = record.name
    if record.levelno < logging.WARNING and _within(name, HTTP_LOGGERS):
        return True
    if record.levelno >= logging.INFO:
        return False
    if _within(name, CHANNEL_LOGGERS):
        return True
    return name.startswith("paramiko") and bool(_PACKET_DUMP.match(str(record.msg)))


class LogGuard(logging.Filter):
    """Handler filter: drops channel-data records and scrubs every other one (message,
    traceback, stack)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _echoes_channel(record):
            return False
        if record.name == "paramiko.transport" and str(record.msg).startswith(_SOCKET_END):
            if not logging.getLogger().isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as it always does
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def guard_handlers(logger: logging.Logger | None = None) -> None:
    """Install one :class:`LogGuard` on each handler of ``logger`` (the root by default), and
    keep the channel and HTTP loggers from even building the records it would drop."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, LogGuard) for f in handler.filters):
            handler.addFilter(LogGuard())
    for names, floor in ((CHANNEL_LOGGERS, logging.INFO), (HTTP_LOGGERS, logging.WARNING)):
        for name in names:
            channel = logging.getLogger(name)
            channel.setLevel(max(channel.level, floor))
