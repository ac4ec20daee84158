"""Webhook notifier: a JSON POST of each notification (httpx, through ``httpclient``).

The body carries the rendered subject and text (for chat rooms) and the events themselves (for
ticketing tools). ``Idempotency-Key`` is stable per outbox message, so a receiver can drop the
rare duplicate. The token is read from ``token_file`` at each delivery; the URL's path and query
(which may be a secret, as in chat webhooks) are never shown in messages or logs. The receiver's
certificate is checked against the system's CAs, or ``ca_file``; redirects are not followed.
No retry here: the outbox retries a failed delivery.
"""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from prisme_drift.config import Settings, WebhookSettings
from prisme_drift.httpclient import cause, client, tls_context
from prisme_drift.notify.notifier import (
    DeliveryError,
    Notification,
    Wording,
    read_secret_file,
)
from prisme_drift.notify.render import event_text, render_notification
from prisme_drift.scrub import scrub

PAYLOAD_VERSION = 1


def is_configured(settings: Settings) -> bool:
    """The webhook is on when the settings have a ``[webhook]`` section."""
    return settings.webhook is not None


def from_settings(settings: Settings) -> WebhookNotifier:
    """The webhook notifier of these settings (token path resolved from the settings folder)."""
    hook = settings.webhook
    if hook is None:
        raise ValueError("no [webhook] section in the settings")
    token_file = settings.resolve(hook.token_file) if hook.token_file else None
    ca_file = settings.resolve(hook.ca_file) if hook.ca_file else None
    return WebhookNotifier(hook, token_file, ca_file)


def display_url(url: str) -> str:
    """``https://host:port/…``: the path may hold a secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"


def payload(notification: Notification, wording: Wording) -> dict[str, Any]:
    """The JSON body: version, site, subject and text, and every event with its payload."""
    rendered = render_notification(notification, wording)
    return {
        "source": "prisme-drift",
        "version": PAYLOAD_VERSION,
        "site": notification.site,
        "client": wording.client,
        "message_id": notification.message_id,
        "kind": notification.kind,
        "subject": rendered.subject,
        "text": rendered.body,
        "events": [
            {
                "id": e.id,
                "kind": e.kind,
                "device": e.device,
                "at": e.created_at.isoformat(),
                "payload": dict(e.payload),
                "text": event_text(e, wording),
            }
            for e in notification.events
        ],
    }


class WebhookNotifier:
    """POSTs notifications to one URL."""

    channel = "webhook"

    def __init__(self, hook: WebhookSettings, token_file: Path | None, ca_file: Path | None = None):
        self.hook = hook
        self.token_file = token_file
        self.ca_file = ca_file
        self.timeout = hook.timeout

    def describe(self) -> str:
        return f"webhook POST {display_url(self.hook.url)}"

    def deliver(self, notification: Notification, wording: Wording) -> str:
        """POST the notification; any 2xx answer is success."""
        body = json.dumps(payload(notification, wording), ensure_ascii=False).encode("utf-8")
        token = self._token()
        headers = self._headers(notification, token)
        try:
            with (
                client(self.timeout, self._tls()) as http,
                http.stream("POST", self.hook.url, content=body, headers=headers) as response,
            ):
                status, phrase = response.status_code, response.reason_phrase
        except httpx.TransportError as exc:
            error = self._classify(cause(exc))
        else:
            if 200 <= status < 300:
                return f"HTTP {status} from {display_url(self.hook.url)}"
            error = self._http_error(status, phrase)
        raise DeliveryError(
            scrub(str(error), [token or "", self.hook.url]), kind=error.kind, fix=error.fix
        )

    def _token(self) -> str | None:
        if self.token_file is None:
            return None
        return read_secret_file(self.token_file, "webhook token", "[webhook] token_file")

    def _tls(self) -> ssl.SSLContext:
        """The system's CAs, or ``ca_file`` for a receiver behind a private CA."""
        try:
            return tls_context(self.ca_file)
        except OSError as exc:
            raise DeliveryError(
                f"cannot load the CA file {self.ca_file}: {exc.strerror or exc}",
                kind="config",
                fix="point [webhook] ca_file at a PEM file of CA certificates, or remove it",
            ) from None

    def _headers(self, notification: Notification, token: str | None) -> dict[str, str]:
        stamp = int(notification.created_at.timestamp())
        key = f"prisme-drift:{notification.site}:{notification.message_id}:{stamp}"
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if token:
            headers[self.hook.header] = f"{self.hook.scheme} {token}".strip()
        return headers

    def _http_error(self, status: int, phrase: str) -> DeliveryError:
        fixes = {401: "check the token in token_file", 403: "check the token in token_file"}
        fix = fixes.get(status, "check [webhook] url" if status == 404 else "")
        if 300 <= status < 400:
            fix = "redirects are not followed: set [webhook] url to the final address"
        return DeliveryError(
            f"{display_url(self.hook.url)} answered HTTP {status} {phrase}", kind="http", fix=fix
        )

    def _classify(self, reason: BaseException) -> DeliveryError:
        where = display_url(self.hook.url)
        if isinstance(reason, socket.gaierror):
            return DeliveryError(
                f"cannot resolve the host of {where}", kind="dns", fix="check [webhook] url"
            )
        if isinstance(reason, ssl.SSLError):
            return DeliveryError(
                f"TLS with {where} failed: {reason}",
                kind="tls",
                fix="point [webhook] ca_file at the CA that signed the receiver's certificate",
            )
        if isinstance(reason, TimeoutError):
            return DeliveryError(
                f"{where} did not answer within {self.timeout:g} s", kind="timeout"
            )
        return DeliveryError(
            f"cannot reach {where}: {reason}", kind="connect", fix="check [webhook] url"
        )
