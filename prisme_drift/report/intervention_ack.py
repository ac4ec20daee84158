"""Recorded acknowledgments of an intervention report (``ticket ack``), beside the signatures.

A client or a technician who read the report says so, and the system records it in the audit
trail (``ticket.ack``): who (``--by``), their role, when, which user on which host recorded it,
and which document: the version, the CR number and the SHA-256 of the PDF, checked against the
file on disk and the hash recorded when that version was written. The next version of the
report prints each acknowledgment in its signature block, beside the blank lines to sign by hand.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.errors import RefusedError
from prisme_drift.report.intervention_sources import REPORT_ACTION
from prisme_drift.store.models import AuditEntry
from prisme_drift.timefmt import iso

ACK_ACTION = "ticket.ack"
ROLES = ("client", "technician")


@dataclass(frozen=True)
class ReportPdf:
    """The PDF of the last version written, as the audit trail recorded it."""

    version: int
    number: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class Acknowledgment:
    """One recorded acknowledgment of a version of the report."""

    name: str
    role: str  # client | technician
    at: datetime
    host_user: str
    version: int
    number: str
    sha256: str
    comment: str = ""


def _entries(session: Session, site: str, action: str, ticket_id: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.site == site,
                AuditEntry.action == action,
                AuditEntry.subject == ticket_id,
            )
            .order_by(AuditEntry.id)
        )
    )


def last_pdf(session: Session, site: str, ticket_id: str) -> ReportPdf | None:
    """The PDF of the ticket's last report version that had one; None before any."""
    for entry in reversed(_entries(session, site, REPORT_ACTION, ticket_id)):
        pdf = (entry.details.get("files") or {}).get("pdf")
        if pdf:
            details = entry.details
            return ReportPdf(
                int(details["version"]), str(details["number"]), Path(pdf["path"]), pdf["sha256"]
            )
    return None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def report_to_acknowledge(session: Session, site: str, ticket_id: str) -> ReportPdf:
    """The PDF an acknowledgment is about; RefusedError (exit 5) when the ticket has no report
    yet, or when the file on disk is not the one recorded (moved, edited, deleted)."""
    pdf = last_pdf(session, site, ticket_id)
    if pdf is None:
        raise RefusedError(
            f"ticket {ticket_id} has no intervention report (PDF) yet: nothing to acknowledge; "
            f"write it first with 'prisme-drift report intervention {ticket_id}'",
            site=site,
        )
    if _digest(pdf.path) != pdf.sha256:
        raise RefusedError(
            f"{pdf.path} is not the PDF recorded for {pdf.number} (missing or changed since it "
            f"was written); write it again with 'prisme-drift report intervention {ticket_id}' "
            "and acknowledge that version",
            site=site,
        )
    return pdf


def host_user() -> str:
    """Who records the acknowledgment on this machine: ``user@host``."""
    return f"{os.environ.get('SUDO_USER') or getpass.getuser()}@{socket.gethostname()}"


def ack_details(pdf: ReportPdf, role: str, comment: str, recorder: str) -> dict[str, Any]:
    """The audit entry's details of an acknowledgment of ``pdf``."""
    return {
        "role": role,
        "comment": comment,
        "host_user": recorder,
        "version": pdf.version,
        "number": pdf.number,
        "pdf": str(pdf.path),
        "sha256": pdf.sha256,
    }


def acknowledgments(session: Session, site: str, ticket_id: str) -> tuple[Acknowledgment, ...]:
    """Every acknowledgment recorded for the ticket's report, oldest first."""
    return tuple(
        Acknowledgment(
            name=entry.actor,
            role=str(entry.details["role"]),
            at=entry.at,
            host_user=str(entry.details.get("host_user") or ""),
            version=int(entry.details["version"]),
            number=str(entry.details["number"]),
            sha256=str(entry.details["sha256"]),
            comment=str(entry.details.get("comment") or ""),
        )
        for entry in _entries(session, site, ACK_ACTION, ticket_id)
    )


def ack_figures(acks: tuple[Acknowledgment, ...]) -> list[dict[str, Any]]:
    """The acknowledgments as ``--json`` prints them."""
    return [
        {"name": a.name, "role": a.role, "at": iso(a.at), "version": a.version,
         "sha256": a.sha256}
        for a in acks
    ]  # fmt: skip
