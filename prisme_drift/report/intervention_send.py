"""The intervention report by email: to the client and IT, through the outbox, once per version.

Each version of a ticket's report is a *document* of the outbox (``notify/documents.py``, the
monthly summary's path) whose key names the ticket and the version (``intervention:CHG-114:v2``):
queueing the same version again records nothing and sends nothing. ``ticket close`` sends the
version it writes only when no version of the ticket was queued before, so a ticket's report
reaches the client once on its own; a later version goes out only when asked
(``report intervention TICKET --send``), its subject and text saying which version it replaces.
A version still waiting for the relay when a newer one is queued is withdrawn (``superseded``):
the client receives the newest version only, and its text names the last version actually sent.

The PDF attached is a copy frozen when the version is queued (``<stem>-sent/<stem>-v2.pdf``
beside the report): the report itself is rewritten in place by the next version, and an email
still waiting for the relay must carry the version it announces.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError, OperationalError
from prisme_drift.notify.documents import Attachment, DocumentMail, queue_document, recipients
from prisme_drift.notify.outbox import FAILED, PENDING, SENT, supersede
from prisme_drift.report.i18n import translations
from prisme_drift.report.intervention_service import InterventionWritten
from prisme_drift.report.monthly_service import Sent, require_mail
from prisme_drift.store.models import Event, OutboxMessage
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

KEY = "intervention"


def document_key(ticket_id: str, version: int) -> str:
    """The outbox key of one version of a ticket's report."""
    return f"{KEY}:{ticket_id}:v{version}"


def queued_versions(session: Session, site: str, ticket_id: str) -> list[int]:
    """The versions of the ticket's report already queued for email, in order."""
    prefix = f"document:{KEY}:{ticket_id}:v"
    keys = session.scalars(
        select(Event.dedupe_key).where(
            Event.site == site, Event.dedupe_key.startswith(prefix, autoescape=True)
        )
    )
    return sorted(int(k[len(prefix) :]) for k in keys if k[len(prefix) :].isdigit())


def _withdraw_waiting(session: Session, site: str, ticket_id: str, version: int) -> int | None:
    """Withdraw the earlier versions' emails still waiting; the last earlier version sent."""
    prefix = f"document:{KEY}:{ticket_id}:v"
    messages = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.site == site,
            OutboxMessage.group_key.startswith(prefix, autoescape=True),
        )
    )
    sent: list[int] = []
    for message in messages:
        number = message.group_key[len(prefix) :]
        if not number.isdigit() or int(number) >= version:
            continue
        if message.status in (PENDING, FAILED):
            supersede(message, f"replaced by version {version} before it was sent")
            log.info("[%s] intervention report %s version %s: withdrawn from the outbox, "
                     "version %d replaces it", site, ticket_id, number, version)  # fmt: skip
        elif message.status == SENT:
            sent.append(int(number))
    return max(sent) if sent else None


def wants_mail(settings: Settings) -> bool:
    """Whether ``ticket close`` emails the report: ``[smtp]`` and ``[report] client_to`` set."""
    return settings.smtp is not None and bool(settings.report.client_to)


def frozen_copy(pdf: Path, version: int) -> Path:
    """A copy of this version's PDF that the next version does not overwrite (atomic)."""
    folder = pdf.parent / f"{pdf.stem}-sent"
    target = folder / f"{pdf.stem}-v{version}.pdf"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out, pdf.open("rb") as src:
            shutil.copyfileobj(src, out)
        Path(name).chmod(0o644)
        os.replace(name, target)
    except OSError as exc:
        raise OperationalError(
            f"cannot keep the copy of {pdf} to send ({target}): {exc.strerror or exc}; "
            "free space or fix the folder's permissions, then run the same command again"
        ) from exc
    return target


@dataclass(frozen=True)
class MailFacts:
    """What the email says of the report: ticket, title, number, version, the one it replaces."""

    ticket: str
    title: str
    number: str
    version: int
    replaces: int | None  # the last version sent before this one


def intervention_mail(settings: Settings, facts: MailFacts, pdf: Path, lang: str) -> DocumentMail:
    """Subject, text, HTML, recipients and the frozen PDF of one version's email."""
    t = translations(lang)
    params = {
        "client": settings.site.client or settings.site.name,
        "site": settings.site.name,
        "ticket": facts.ticket,
        "title": facts.title,
        "number": facts.number,
        "version": facts.version,
        "previous": facts.replaces or 0,
        "provider": settings.report.provider,
        "contact": settings.report.provider_contact,
    }
    paragraphs = [
        t.gettext("inter.mail.greeting") % params,
        t.gettext("inter.mail.intro") % params,
    ]
    if facts.replaces:
        paragraphs.append(t.gettext("inter.mail.replaces") % params)
    paragraphs += [
        t.gettext("inter.mail.attached") % params,
        t.gettext("inter.mail.signature") % params,
    ]
    to, cc = recipients(settings)
    return DocumentMail(
        subject=t.gettext("inter.mail.subject") % params,
        body="\n\n".join(paragraphs) + "\n",
        html=f'<!DOCTYPE html><html lang="{lang}"><body>'
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + "</body></html>",
        to=to,
        cc=cc,
        attachments=(Attachment.of(pdf),),
    )


def send_intervention(
    settings: Settings,
    written: InterventionWritten,
    *,
    first_only: bool = False,
    now: datetime | None = None,
) -> Sent | None:
    """Queue the email of the version just written, then try to deliver it now; the outbox
    retries it afterwards. ``first_only`` (``ticket close``): None when a version of the ticket
    was already queued (nothing is queued)."""
    from prisme_drift.notify.sender import deliver_message
    from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

    require_mail(settings)
    pdf = written.files.get("pdf")
    if pdf is None:
        raise ConfigError("--send attaches the PDF: keep pdf in --format")
    ticket, version = str(written.figures["ticket"]), int(written.figures["version"])
    site = settings.site.name
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            earlier = [v for v in queued_versions(session, site, ticket) if v != version]
        if first_only and earlier:
            log.info("[%s] intervention report %s: version %d already queued, not sent again",
                     site, ticket, earlier[-1])  # fmt: skip
            return None
        with session_factory(engine).begin() as session:
            replaces = _withdraw_waiting(session, site, ticket, version)
            facts = MailFacts(ticket, written.title, str(written.figures["number"]), version,
                              replaces)  # fmt: skip
            mail = intervention_mail(settings, facts, frozen_copy(pdf, version), written.lang)
            queued = queue_document(
                session, settings, document_key(ticket, version), mail, now or utcnow()
            )
        if queued.status in ("pending", "failed"):  # this message only: alerts keep their pace
            deliver_message(settings, queued.message_id, engine=engine)
        with session_factory(engine)() as session:
            message = session.get(OutboxMessage, queued.message_id)
            assert message is not None
            status, sent_at, error = message.status, message.sent_at, message.last_error
    finally:
        engine.dispose()
    log.info("[%s] intervention report %s version %d: outbox %d %s", site, ticket, version,
             queued.message_id, status)  # fmt: skip
    return Sent(queued.message_id, queued.new, status, sent_at, mail.to, mail.cc, error)
