"""Inputs of the intervention report, from the site's stores: tickets, database, audit trail, git.

- the ticket: from every ticket source (database, YAML folder, GLPI);
- the devices in scope: the inventory's devices the ticket covers, and any device it names;
- Avant / Après: each device's last good poll before the window and first good poll after it
  (the database), and what that poll saw (the git baseline: configuration, facts, state);
- Pendant: the drift items of the site around the window (the database);
- the technicians' notes and earlier versions of the report (the audit trail).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from git.exc import GitCommandError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.registry import TicketError, TicketRegistry
from prisme_drift.authorize.service import glpi_source, load_tickets
from prisme_drift.baseline.store import BaselineRepo, device_paths, state_path
from prisme_drift.config import Settings
from prisme_drift.models import DeviceRef
from prisme_drift.report.intervention_input import (
    GOOD,
    OUTSIDE_MARGIN,
    AttachmentInput,
    ChangeInput,
    DeviceSide,
    InterventionInput,
    NoteInput,
    PollPoint,
    TestInput,
)
from prisme_drift.report.notes import thumbnail
from prisme_drift.report.service import _inventory
from prisme_drift.state.store import parse_state
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import AuditEntry, Device, DevicePoll, DriftItem, Poll
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

NOTE_ACTION = "ticket.note"
REPORT_ACTION = "report.intervention"


def find_ticket(settings: Settings, session: Session, ticket_id: str) -> Ticket:
    """The ticket from any source; TicketError (exit 5) naming the id when there is none."""
    loaded = load_tickets(settings, TicketRegistry(session, settings.site.name))
    for ticket in loaded.tickets:
        if ticket.id == ticket_id:
            return ticket
    raise TicketError(
        f"no ticket {ticket_id!r} on site {settings.site.name}; see 'prisme-drift ticket list'"
    )


def scope(ticket: Ticket, inventory: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The inventory devices the ticket covers, then the devices it names that are not in it."""
    covered = [
        d["name"]
        for d in inventory
        if ticket.covers_device(DeviceRef(name=d["name"], groups=tuple(d["groups"])))
    ]
    return tuple(dict.fromkeys([*covered, *ticket.devices]))


def glpi_link(settings: Settings, ticket: Ticket) -> str | None:
    """The GLPI page of a ticket imported from GLPI."""
    source = glpi_source(settings)
    if source is None or ticket.source != "glpi" or not ticket.id.startswith("GLPI-"):
        return None
    return f"{source.settings.web_url}/front/change.form.php?id={ticket.id.removeprefix('GLPI-')}"


def _polls(session: Session, site: str, names: Sequence[str]) -> dict[str, list[DevicePoll]]:
    rows = session.scalars(
        select(DevicePoll)
        .join(Device, DevicePoll.device_id == Device.id)
        .where(Device.site == site, Device.name.in_(list(names)))
        .options(selectinload(DevicePoll.poll), selectinload(DevicePoll.device))
        .order_by(DevicePoll.at, DevicePoll.id)
    )
    found: dict[str, list[DevicePoll]] = {n: [] for n in names}
    for row in rows:
        found[row.device.name].append(row)
    return found


def _device_commit(repo: BaselineRepo, poll: Poll, device: str) -> str | None:
    """The last commit touching the device's files up to the poll's observed commit."""
    if not poll.observed_commit:
        return None
    try:
        out = repo.repo.git.log(
            "-1", "--format=%H", poll.observed_commit, "--", *device_paths(repo.site, device)
        )
    except GitCommandError:
        return None
    return str(out).strip() or None


def _side(repo: BaselineRepo, row: DevicePoll | None, device: str) -> DeviceSide | None:
    if row is None:
        return None
    commit = _device_commit(repo, row.poll, device)
    point = PollPoint(row.poll_id, row.at, row.status, row.poll.trigger, commit)
    if commit is None:
        return DeviceSide(poll=point)
    cfg_path, facts_path = device_paths(repo.site, device)
    state_text = repo.read_file(commit, state_path(repo.site, device))
    facts_text = repo.read_file(commit, facts_path)
    return DeviceSide(
        poll=point,
        state=parse_state(state_text, f"{commit[:10]}:{device}.state.json") if state_text else None,
        config=repo.read_file(commit, cfg_path),
        facts=json.loads(facts_text) if facts_text else {},
    )


def _edges(polls: list[DevicePoll], ticket: Ticket) -> tuple[DevicePoll | None, DevicePoll | None]:
    """Avant: the daemon's window-start poll, else the last good poll before the window;
    Après: the first good poll at or after the window's end (the daemon's window-end poll)."""
    good = [p for p in polls if p.status in GOOD]
    inside = [p for p in good if ticket.start <= p.at <= ticket.end]
    before = [p for p in inside if p.poll.trigger == "window-start"][:1]
    before = before or [p for p in good if p.at < ticket.start][-1:]
    after = [p for p in good if p.at >= ticket.end]
    return (before[0] if before else None), (after[0] if after else None)


def _bad_polls(
    polls: list[DevicePoll], since: DevicePoll | None, until: DevicePoll | None, ticket: Ticket
) -> tuple[str, ...]:
    start = since.at if since else ticket.start
    end = until.at if until else utcnow()
    return tuple(p.status for p in polls if start <= p.at <= end and p.status not in GOOD)


def _changes(session: Session, site: str, ticket: Ticket) -> tuple[ChangeInput, ...]:
    rows = session.scalars(
        select(DriftItem)
        .where(
            DriftItem.site == site,
            DriftItem.opened_at >= ticket.start - OUTSIDE_MARGIN,
            DriftItem.opened_at <= ticket.end + OUTSIDE_MARGIN,
            DriftItem.reason.is_distinct_from("transitional_expired"),
        )
        .options(selectinload(DriftItem.device))
        .order_by(DriftItem.opened_at, DriftItem.id)
    )
    return tuple(
        ChangeInput(
            id=r.id,
            device=r.device.name,
            category=r.category,
            path=tuple(r.path),
            removed=tuple(r.removed),
            added=tuple(r.added),
            verdict=r.verdict,
            reason=r.reason,
            ticket_id=r.ticket_id,
            appeared_after=r.appeared_after,
            seen_at=r.opened_at,
            close_reason=r.close_reason,
        )
        for r in rows
    )


def _entries(session: Session, site: str, action: str, subject: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.site == site, AuditEntry.action == action, AuditEntry.subject == subject
            )
            .order_by(AuditEntry.id)
        )
    )


def note_of(entry: AuditEntry, folder: Path) -> NoteInput:
    """A ``ticket note`` audit entry as a note; attachments are read from ``folder``."""
    details = entry.details
    return NoteInput(
        at=entry.at,
        by=entry.actor,
        technician=str(details.get("technician") or ""),
        remark=str(details.get("remark") or ""),
        tests=tuple(
            TestInput(str(t["what"]), str(t["expected"]), str(t["observed"]), t["result"] == "ok")
            for t in details.get("tests", [])
        ),
        attachments=tuple(
            AttachmentInput(
                name=a["name"],
                path=a["path"],
                size=int(a["size"]),
                sha256=a["sha256"],
                image=bool(a.get("image")),
                thumbnail=thumbnail(folder / a["path"]) if a.get("image") else None,
            )
            for a in details.get("attachments", [])
        ),
    )


def intervention_input(
    settings: Settings, ticket_id: str, folder: Path, now: datetime | None = None
) -> InterventionInput:
    """Everything the intervention report of ``ticket_id`` needs; ``folder`` holds the
    attachments (the site's interventions folder)."""
    site = settings.site.name
    inventory = _inventory(settings)
    engine = shared_engine(settings.database_url)
    ensure_schema(engine)
    with session_factory(engine)() as session:
        ticket = find_ticket(settings, session, ticket_id)
        devices = scope(ticket, inventory)
        polls = _polls(session, site, devices)
        before, after, bad = {}, {}, {}
        with BaselineRepo(settings.baseline_path, site) as repo:
            for device in devices:
                first, last = _edges(polls[device], ticket)
                if (side := _side(repo, first, device)) is not None:
                    before[device] = side
                if (side := _side(repo, last, device)) is not None:
                    after[device] = side
                bad[device] = _bad_polls(polls[device], first, last, ticket)
        notes = tuple(note_of(e, folder) for e in _entries(session, site, NOTE_ACTION, ticket.id))
        previous = tuple(e.at for e in _entries(session, site, REPORT_ACTION, ticket.id))
        changes = _changes(session, site, ticket)
    addresses = {d["name"]: d["address"] for d in inventory}
    return InterventionInput(
        site=site,
        client=settings.site.client,
        generated_at=now or utcnow(),
        ticket=ticket,
        devices=devices,
        addresses=addresses,
        before=before,
        after=after,
        changes=changes,
        bad_polls=bad,
        notes=notes,
        version=len(previous) + 1,
        previous=previous,
        link=glpi_link(settings, ticket),
    )
