"""Tickets kept in the database (CLI and imports) and the audit trail, for one site."""

from __future__ import annotations

import getpass
import os
from datetime import UTC
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.authorize.audit import (
    GENESIS,
    Entry,
    entry_hash,
    read_head,
    verify_chain,
    write_head,
)
from prisme_drift.authorize.model import Approval, Ticket, TicketStatus
from prisme_drift.authorize.policy import policy_problems
from prisme_drift.authorize.sources import Loaded, parse_ticket
from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.models import DeviceRef
from prisme_drift.store.models import AuditEntry, TicketRow
from prisme_drift.timefmt import utcnow


class TicketError(RefusedError):
    """A ticket operation was refused (unknown id, wrong status, approval rules)."""


def default_actor() -> str:
    """Who runs the command, for the audit trail when no --by is given."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


class AuditLog:
    """Append and verify the site's hash-chained audit trail."""

    def __init__(self, session: Session, site: str, state_dir: Path) -> None:
        self.session = session
        self.site = site
        self.state_dir = state_dir
        self.last_hash: str | None = None  # newest hash appended by this object

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Add one entry chained to the previous one; the head file follows at commit time."""
        last = self.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.site == self.site)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        prev = last.hash if last else GENESIS
        at = utcnow().replace(microsecond=0)
        digest = entry_hash(prev, self.site, at, actor, action, subject, details)
        row = AuditEntry(
            site=self.site,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
        self.session.add(row)
        self.session.flush()
        self.last_hash = digest
        return row

    def committed(self) -> None:
        """After the transaction committed: record the newest hash in the head file."""
        if self.last_hash:
            write_head(self.state_dir, self.last_hash)

    def entries(self) -> list[Entry]:
        """Every entry, oldest first."""
        rows = self.session.scalars(
            select(AuditEntry).where(AuditEntry.site == self.site).order_by(AuditEntry.id)
        )
        return [
            Entry(
                r.id,
                r.site,
                r.at,
                r.actor,
                r.action,
                r.subject,
                dict(r.details),
                r.prev_hash,
                r.hash,
            )
            for r in rows
        ]

    def verify(self) -> list[str]:
        """Problems of the chain and of its head file; empty when everything verifies."""
        return verify_chain(self.entries(), read_head(self.state_dir))


class TicketRegistry:
    """The site's tickets in the database."""

    name = "cli"

    def __init__(self, session: Session, site: str) -> None:
        self.session = session
        self.site = site

    def _row(self, ticket_id: str) -> TicketRow:
        row = self.session.get(TicketRow, ticket_id)
        if row is None or row.site != self.site:
            raise TicketError(
                f"no ticket {ticket_id!r} on site {self.site}; see 'prisme-drift ticket list'"
            )
        return row

    def get(self, ticket_id: str) -> Ticket:
        """One ticket by id."""
        return _parse_row(self._row(ticket_id))

    def all(self) -> list[Ticket]:
        """Every ticket of the site, by id."""
        rows = self.session.scalars(
            select(TicketRow).where(TicketRow.site == self.site).order_by(TicketRow.id)
        )
        return [_parse_row(r) for r in rows]

    def load(self) -> Loaded:
        """As a ticket source."""
        loaded = Loaded()
        for row in self.session.scalars(select(TicketRow).where(TicketRow.site == self.site)):
            try:
                loaded.tickets.append(_parse_row(row))
            except ConfigError as exc:
                loaded.problems.append(str(exc))
            else:
                loaded.origins[row.id] = f"database (ticket {row.id})"
        return loaded

    def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket; refuses an id already used."""
        if self.session.get(TicketRow, ticket.id) is not None:
            raise TicketError(f"ticket {ticket.id} already exists; choose another id")
        now = utcnow()
        self.session.add(
            TicketRow(
                id=ticket.id,
                site=self.site,
                status=str(ticket.status),
                data=ticket.as_dict(),
                created_at=now,
                updated_at=now,
            )
        )
        self.session.flush()
        return ticket

    def save(self, ticket: Ticket) -> Ticket:
        """Replace a stored ticket by its new state."""
        row = self._row(ticket.id)
        row.data, row.status, row.updated_at = ticket.as_dict(), str(ticket.status), utcnow()
        self.session.flush()
        return ticket


def _parse_row(row: TicketRow) -> Ticket:
    """The stored ticket; one closed before ``closed_at`` was recorded gets its row's last
    update (the ``ticket close`` that wrote it) as its closing time."""
    data = dict(row.data)
    if data.get("status") == TicketStatus.CLOSED and not data.get("closed_at"):
        updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
        data["closed_at"] = updated.isoformat()
    return parse_ticket(data, f"ticket {row.id} (database)", "cli")


def approve(ticket: Ticket, refs: dict[str, DeviceRef], by: str, ref: str) -> Ticket:
    """The approved ticket, or TicketError listing every reason it may not be approved."""
    if ticket.status != TicketStatus.DRAFT:
        raise TicketError(f"ticket {ticket.id} is {ticket.status}; only a draft can be approved")
    problems = policy_problems(ticket, refs)
    if not by.strip() or not ref.strip():
        problems.append("--by NAME and --ref TEXT (the written approval) are required")
    if problems:
        raise TicketError(
            f"ticket {ticket.id} cannot be approved:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    approval = Approval(by=by, at=utcnow(), ref=ref)
    return ticket.model_copy(update={"status": TicketStatus.APPROVED, "approval": approval})


def edit_draft(ticket: Ticket, changes: dict[str, Any]) -> tuple[Ticket, dict[str, Any]]:
    """The draft with ``changes`` applied, and ``{"before": ..., "after": ...}`` of the fields
    that changed. An approved (closed, cancelled) ticket is refused: its written approval was
    given for its current text."""
    if ticket.status != TicketStatus.DRAFT:
        raise TicketError(
            f"ticket {ticket.id} is {ticket.status}; only a draft can be edited, since the "
            f"written approval was given for its current text. Cancel it ('prisme-drift ticket "
            f"cancel {ticket.id}') and create a new ticket with a new id"
        )
    before = ticket.as_dict()
    try:
        edited = Ticket.model_validate({**ticket.model_dump(), **changes})
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'ticket'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"ticket {ticket.id} not changed", problems=problems) from exc
    after = edited.as_dict()
    changed = sorted(k for k in after if after[k] != before.get(k))
    return edited, {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after[k] for k in changed},
    }


def set_status(ticket: Ticket, status: TicketStatus) -> Ticket:
    """Close or cancel a ticket; closed and cancelled tickets stay as they are. Closing records
    when: the ticket covers nothing that happened after."""
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        raise TicketError(f"ticket {ticket.id} is already {ticket.status}")
    closed_at = utcnow() if status == TicketStatus.CLOSED else None
    return ticket.model_copy(update={"status": status, "closed_at": closed_at})
