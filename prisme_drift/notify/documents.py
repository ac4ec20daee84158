"""Documents by email through the outbox: a client report with its PDF attached, sent once.

A document is an event of kind ``document`` whose key names it (``monthly:2026-11``): the
events table holds one row per key and site, so queueing the same document again — another
``--send``, a restarted daemon, a retried job — records nothing and sends nothing. Its outbox
message (kind ``document``, email channel only) carries what the email needs, rendered when the
document was written: subject, plain text, HTML, recipients and the files to attach (read at
delivery, from the reports folder that keeps them as the record). The storm limit never folds a
document into a digest.

Any document can use it: the monthly summary, the intervention report.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.config import Settings, SmtpSettings
from prisme_drift.notify.notifier import DeliveryError, Notification
from prisme_drift.store.models import OutboxMessage

DOCUMENT = "document"
EMAIL = "email"


@dataclass(frozen=True)
class Attachment:
    """A file to attach, by path (read at delivery time)."""

    path: Path
    filename: str
    content_type: str = "application/pdf"

    @classmethod
    def of(cls, path: Path) -> Attachment:
        """An attachment named after the file, its type guessed from the extension."""
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return cls(path, path.name, kind)


@dataclass(frozen=True)
class DocumentMail:
    """What a document's email says and to whom (IT's ``[smtp] to`` is added as a copy)."""

    subject: str
    body: str
    html: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The event payload (plain JSON)."""
        return {
            "subject": self.subject,
            "body": self.body,
            "html": self.html,
            "to": list(self.to),
            "cc": list(self.cc),
            "attachments": [
                {"path": str(a.path), "filename": a.filename, "content_type": a.content_type}
                for a in self.attachments
            ],
        }


def recipients(settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(to, cc) of a client document: ``[report] client_to``/``client_cc``, IT in copy; IT
    alone when no client recipient is configured."""
    it = tuple(settings.smtp.to) if settings.smtp else ()
    to = tuple(settings.report.client_to) or it
    cc = tuple(dict.fromkeys(a for a in (*settings.report.client_cc, *it) if a not in to))
    return to, cc


@dataclass(frozen=True)
class Queued:
    """The outcome of queueing a document: its message, and whether this call queued it."""

    message_id: int
    new: bool
    status: str
    sent_at: datetime | None


def queue_document(
    session: Session, settings: Settings, key: str, mail: DocumentMail, now: datetime
) -> Queued:
    """Queue ``mail`` once for the document named ``key``; an existing one is returned as is."""
    from prisme_drift.notify.events import EventKind, record_event
    from prisme_drift.notify.outbox import _new_message

    site = settings.site.name
    event = record_event(
        session, settings, EventKind.DOCUMENT, key, payload=mail.payload(), at=now, queue=False
    )
    if event is None:
        return _existing(session, site, f"{EventKind.DOCUMENT}:{key}")
    message = _new_message(site, EMAIL, event.dedupe_key, DOCUMENT, [event], now, settings.notify)
    message.summary = f"document {key} to {', '.join(mail.to)}"[:255]
    session.add(message)
    session.flush()
    return Queued(message.id, True, message.status, None)


def _existing(session: Session, site: str, group_key: str) -> Queued:
    message = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.site == site,
            OutboxMessage.channel == EMAIL,
            OutboxMessage.group_key == group_key,
        )
    )
    if message is None:  # the event exists without its message: never written by this module
        raise DeliveryError(f"document {group_key} is recorded without its email", kind="config")
    return Queued(message.id, False, message.status, message.sent_at)


def is_document(notification: Notification) -> bool:
    """Whether an outbox notification is a document (built by :func:`document_email`)."""
    return notification.kind == DOCUMENT


def document_email(
    notification: Notification, smtp: SmtpSettings
) -> tuple[EmailMessage, list[str]]:
    """The email of a document notification, and its envelope recipients."""
    from prisme_drift.notify.mail import base_headers

    payload = notification.events[0].payload
    to, cc = list(payload.get("to") or smtp.to), list(payload.get("cc") or ())
    message = base_headers(str(payload["subject"]), smtp, notification, to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message.set_content(str(payload["body"]))
    message.add_alternative(str(payload["html"]), subtype="html")
    for item in payload.get("attachments") or ():
        _attach(message, Path(item["path"]), str(item["filename"]), str(item["content_type"]))
    return message, list(dict.fromkeys([*to, *cc]))


def _attach(message: EmailMessage, path: Path, filename: str, content_type: str) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(
            f"cannot read the attachment {path}: {exc.strerror or exc}",
            kind="attachment",
            fix="the document was moved or deleted from the reports folder: write it again "
            "(same command) and retry with 'prisme-drift outbox retry ID'",
        ) from None
    maintype, _, subtype = content_type.partition("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=filename)  # fmt: skip


def sendable(messages: Sequence[OutboxMessage]) -> list[int]:
    """Ids of the documents among due messages (sent outside the storm limit's budget)."""
    return [m.id for m in messages if m.kind == DOCUMENT]
