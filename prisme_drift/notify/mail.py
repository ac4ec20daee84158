"""Email notifier: smtplib with a timeout on every call, plain text + HTML, French or English.

Security modes: ``none`` (plain SMTP, no authentication allowed), ``starttls`` (upgrade on 587),
``tls`` (TLS from the first byte, 465). The password is read from ``password_file`` at each
delivery and is scrubbed from every error message; it is never logged nor stored.

Every failure is a :class:`DeliveryError` whose ``kind`` names the step that failed (dns,
connect, tls, auth, sender, recipient, message, timeout, config) and whose ``fix`` says what to
change: ``prisme-drift notify test`` prints both.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from prisme_drift.config import Settings, SmtpSettings
from prisme_drift.notify.documents import document_email, is_document
from prisme_drift.notify.notifier import (
    DeliveryError,
    Notification,
    Wording,
    read_secret_file,
)
from prisme_drift.notify.render import Message, render_notification
from prisme_drift.scrub import scrub

#: SMTP reply codes that mean "authenticate first".
_AUTH_REQUIRED = (530, 535, 538)


def is_configured(settings: Settings) -> bool:
    """Email is on when the settings have an ``[smtp]`` section."""
    return settings.smtp is not None


def from_settings(settings: Settings) -> EmailNotifier:
    """The email notifier of these settings (paths resolved from the settings file's folder)."""
    smtp = settings.smtp
    if smtp is None:
        raise ValueError("no [smtp] section in the settings")
    password_file = settings.resolve(smtp.password_file) if smtp.password_file else None
    ca_file = settings.resolve(smtp.ca_file) if smtp.ca_file else None
    return EmailNotifier(smtp, password_file, ca_file)


@dataclass(frozen=True)
class _Target:
    """Where and how to connect, for error messages."""

    host: str
    port: int
    security: str
    timeout: float
    username: str | None
    password_file: Path | None


class EmailNotifier:
    """Delivers notifications as multipart emails through one SMTP relay."""

    channel = "email"

    def __init__(self, smtp: SmtpSettings, password_file: Path | None, ca_file: Path | None):
        self.smtp = smtp
        self.password_file = password_file
        self.ca_file = ca_file
        self.timeout = smtp.timeout
        self.target = _Target(
            smtp.host,
            smtp.effective_port,
            smtp.security,
            smtp.timeout,
            smtp.username,
            password_file,
        )

    def describe(self) -> str:
        auth = f", login {self.smtp.username}" if self.smtp.username else ""
        return (
            f"smtp {self.target.host}:{self.target.port} ({self.smtp.security}{auth}) "
            f"from {self.smtp.sender} to {', '.join(self.smtp.to)}"
        )

    def deliver(self, notification: Notification, wording: Wording) -> str:
        """Render and send; returns which server accepted it (and any refused recipient)."""
        rcpts: list[str] | None = None
        if is_document(notification):  # a client document: rendered when it was written
            message, rcpts = document_email(notification, self.smtp)
        else:
            rendered = render_notification(notification, wording)
            message = build_email(rendered, self.smtp, notification)
        password = self._password()
        refused = send_email(self.target, self._tls_context(), message, self.smtp, password, rcpts)
        note = f"accepted by {self.target.host}:{self.target.port}"
        if refused:
            note += "; refused recipients: " + ", ".join(sorted(refused))
        return note

    def _password(self) -> str | None:
        if self.password_file is None:
            return None
        return read_secret_file(self.password_file, "SMTP password", "[smtp] password_file")

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(
                f"cannot load the CA file {self.ca_file}: {exc}",
                kind="config",
                fix="point [smtp] ca_file at a PEM file of CA certificates, or remove it",
            ) from None


def _message_id(notification: Notification, sender: str) -> str:
    """Stable per outbox message, so a rare duplicate can be recognised by mail software."""
    domain = sender.rsplit("@", 1)[-1]
    if notification.message_id is None:
        return make_msgid("prisme-drift", domain=domain)
    stamp = int(notification.created_at.timestamp())
    return f"<prisme-drift.{notification.site}.{notification.message_id}.{stamp}@{domain}>"


def base_headers(
    subject: str, smtp: SmtpSettings, notification: Notification, to: Sequence[str]
) -> EmailMessage:
    """An empty message with the headers every prisme-drift email carries."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = _message_id(notification, smtp.sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message["X-Prisme-Drift-Site"] = notification.site
    if notification.message_id is not None:
        message["X-Prisme-Drift-Outbox"] = str(notification.message_id)
    return message


def build_email(rendered: Message, smtp: SmtpSettings, notification: Notification) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second."""
    message = base_headers(rendered.subject, smtp, notification, smtp.to)
    message.set_content(rendered.body)
    message.add_alternative(rendered.html, subtype="html")
    return message


# --------------------------------------------------------------------------- sending


def send_email(
    target: _Target,
    context: ssl.SSLContext,
    message: EmailMessage,
    smtp: SmtpSettings,
    password: str | None,
    recipients: Sequence[str] | None = None,
) -> dict[str, tuple[int, bytes]]:
    """Connect, secure, authenticate, send to ``recipients`` (default ``[smtp] to``); returns
    the recipients refused (others accepted)."""
    secrets = [password, f"\0{smtp.username}\0{password}"] if password else []
    try:
        with _stage("connect", target):
            client = _connect(target, context)
        try:
            with _stage("tls", target):
                _secure(client, target, context)
            if password is not None and smtp.username:
                with _stage("auth", target):
                    client.login(smtp.username, password)
            with _stage("send", target):
                return client.send_message(message, smtp.sender, list(recipients or smtp.to))
        finally:
            _close(client)
    except DeliveryError as exc:
        raise DeliveryError(scrub(str(exc), secrets), kind=exc.kind, fix=exc.fix) from None


def _connect(target: _Target, context: ssl.SSLContext) -> smtplib.SMTP:
    """Open the connection (TLS from the start for ``tls``); every later call has the timeout."""
    local = socket.gethostname()  # smtplib's default (getfqdn) may wait on reverse DNS
    if target.security == "tls":
        return smtplib.SMTP_SSL(
            target.host, target.port, local_hostname=local, timeout=target.timeout, context=context
        )
    return smtplib.SMTP(target.host, target.port, local_hostname=local, timeout=target.timeout)


def _secure(client: smtplib.SMTP, target: _Target, context: ssl.SSLContext) -> None:
    client.ehlo()
    if target.security == "starttls":
        client.starttls(context=context)
        client.ehlo()


def _close(client: smtplib.SMTP) -> None:
    """QUIT politely; a failure here changes nothing (the message was accepted or not already)."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


@contextmanager
def _stage(stage: str, target: _Target) -> Iterator[None]:
    """Turn whatever the step raises into a DeliveryError naming the step and the fix."""
    try:
        yield
    except DeliveryError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise classify(stage, exc, target) from None


# --------------------------------------------------------------------------- diagnosis

_Builder = Callable[[str, Any, _Target], DeliveryError]


def _where(t: _Target) -> str:
    return f"{t.host}:{t.port}"


def _security_hint(t: _Target) -> str:
    if t.security == "tls":
        return (
            f'port {t.port} may not speak TLS from the first byte: try security = "starttls" '
            "(port 587) or check the port"
        )
    return 'check [smtp] security and port: 465 is "tls", 587 is "starttls"'


def _reply(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", "")
    error = getattr(exc, "smtp_error", b"")
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{code} {text}".strip() or str(exc)


def _dns(_stage: str, exc: socket.gaierror, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"cannot resolve the SMTP host {t.host!r}: {exc.strerror}",
        kind="dns",
        fix=f"check [smtp] host and this machine's DNS (getent hosts {t.host})",
    )


def _untrusted(_stage: str, exc: ssl.SSLCertVerificationError, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"the TLS certificate of {_where(t)} is not trusted: {exc.verify_message}",
        kind="tls",
        fix="set [smtp] host to the name the certificate carries, or point [smtp] ca_file at "
        "the CA that signed it",
    )


def _tls_failed(_stage: str, exc: ssl.SSLError, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"TLS with {_where(t)} failed: {exc.reason or exc}", kind="tls", fix=_security_hint(t)
    )


def _refused(_stage: str, _exc: OSError, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"connection to {_where(t)} refused: nothing listens there",
        kind="connect",
        fix="check [smtp] host and port (25 none, 587 starttls, 465 tls) and that the relay runs",
    )


def _timeout(stage: str, _exc: TimeoutError, t: _Target) -> DeliveryError:
    if stage == "connect":
        return DeliveryError(
            f"no SMTP greeting from {_where(t)} within {t.timeout:g} s",
            kind="connect",
            fix="check the firewall; if this port expects TLS from the first byte (465), set "
            'security = "tls"',
        )
    return DeliveryError(
        f"{_where(t)} did not answer within {t.timeout:g} s during {stage}",
        kind="timeout",
        fix="the relay is slow or stuck: check it, or raise [smtp] timeout",
    )


def _recipients(_stage: str, exc: smtplib.SMTPRecipientsRefused, t: _Target) -> DeliveryError:
    refused = "; ".join(
        f"{rcpt}: {code} {msg.decode('utf-8', 'replace')}"
        for rcpt, (code, msg) in exc.recipients.items()
    )
    return DeliveryError(
        f"{_where(t)} refused every recipient ({refused})",
        kind="recipient",
        fix="check [smtp] to; a relay refuses outside domains unless you authenticate "
        "(username, password_file)",
    )


def _sender(_stage: str, exc: smtplib.SMTPSenderRefused, t: _Target) -> DeliveryError:
    if exc.smtp_code in _AUTH_REQUIRED:
        return DeliveryError(
            f"{_where(t)} requires authentication ({_reply(exc)})",
            kind="auth",
            fix="set [smtp] username and password_file",
        )
    return DeliveryError(
        f"{_where(t)} refused the sender {exc.sender} ({_reply(exc)})",
        kind="sender",
        fix="set [smtp] from to an address this account may send as",
    )


def _login_refused(_stage: str, exc: smtplib.SMTPAuthenticationError, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"{_where(t)} refused the login of {t.username!r} ({_reply(exc)})",
        kind="auth",
        fix=f"check [smtp] username and the password in {t.password_file}",
    )


def _unsupported(stage: str, exc: smtplib.SMTPException, t: _Target) -> DeliveryError:
    if stage == "tls":
        return DeliveryError(
            f"{_where(t)} does not offer STARTTLS ({exc})",
            kind="tls",
            fix='if the port speaks TLS from the first byte (465) use security = "tls"; '
            "never send a password unencrypted",
        )
    return DeliveryError(
        f"{_where(t)} offers no usable authentication ({exc})",
        kind="auth",
        fix="remove username/password_file if the relay needs none, or use starttls/tls: many "
        "servers offer AUTH only on an encrypted connection",
    )


def _data(_stage: str, exc: smtplib.SMTPDataError, t: _Target) -> DeliveryError:
    return DeliveryError(
        f"{_where(t)} refused the message ({_reply(exc)})",
        kind="message",
        fix="read the server's reply; a size limit or a content filter is the usual cause",
    )


def _disconnected(stage: str, exc: smtplib.SMTPServerDisconnected, t: _Target) -> DeliveryError:
    first = stage == "connect"
    return DeliveryError(
        f"{_where(t)} closed the connection during {stage} ({exc})",
        kind="connect" if first else "disconnected",
        fix=_security_hint(t) if first else "check the relay's logs",
    )


def _other(stage: str, exc: BaseException, t: _Target) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPException) and stage in ("tls", "auth"):
        return _unsupported(stage, exc, t)
    if isinstance(exc, smtplib.SMTPException):
        return DeliveryError(f"{stage} with {_where(t)} failed ({_reply(exc)})", kind=stage)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return DeliveryError(
        f"{stage} with {_where(t)} failed: {detail}",
        kind="connect",
        fix="check the network path to the relay (routing, firewall)",
    )


#: First match wins: SMTP replies before socket errors (SMTPException is an OSError).
_DIAGNOSES: tuple[tuple[type[BaseException], _Builder], ...] = (
    (smtplib.SMTPRecipientsRefused, _recipients),
    (smtplib.SMTPSenderRefused, _sender),
    (smtplib.SMTPAuthenticationError, _login_refused),
    (smtplib.SMTPNotSupportedError, _unsupported),
    (smtplib.SMTPDataError, _data),
    (smtplib.SMTPServerDisconnected, _disconnected),
    (socket.gaierror, _dns),
    (ssl.SSLCertVerificationError, _untrusted),
    (ssl.SSLError, _tls_failed),
    (ConnectionRefusedError, _refused),
    (TimeoutError, _timeout),
)


def classify(stage: str, exc: BaseException, target: _Target) -> DeliveryError:
    """What failed at ``stage``, in words an operator can act on, with the fix."""
    for kind, build in _DIAGNOSES:
        if isinstance(exc, kind):
            return build(stage, exc, target)
    return _other(stage, exc, target)
