"""What a site copies, read from its own store and report folder, as rows of the central tables.

Each reader takes the watermark of its table (the last id copied, or the time of the last copy)
and returns one batch of rows with the watermark to record once they are written. Reads only:
the site's store is never written here, so a sync needs neither the writer lock nor the site lock
(SQLite in WAL mode lets a poll write meanwhile).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from prisme_drift.authorize.sources import YamlFolderSource
from prisme_drift.store.models import (
    AuditEntry,
    Device,
    DevicePoll,
    DriftItem,
    Event,
    Poll,
    TicketRow,
)

#: Rows per batch: one central transaction, one watermark step.
BATCH = 1000
#: Device polls scanned per ``device_days`` batch: they fold into a few rows (a day of 15-minute
#: polls of 25 devices is 2,400 device polls and 25 rows).
SCAN = 20
#: A row changed by a poll carries the poll's start time, which may be minutes before its commit:
#: rows changed since (last copy - this margin) are copied again (harmless: upserts).
MARGIN = timedelta(days=1)
_MONTHLY = re.compile(r"-\d{4}-\d{2}\.(pdf|html)$")


@dataclass(frozen=True)
class Batch:
    """Rows for one central table and the watermark they move it to."""

    rows: list[dict[str, Any]]
    last_id: int
    more: bool  # another batch may follow


def _row(obj: Any, columns: Iterable[str], **extra: Any) -> dict[str, Any]:
    return {**{name: getattr(obj, name) for name in columns}, **extra}


DEVICE_COLUMNS = (
    "id", "name", "platform", "hostname", "last_poll_at", "last_status", "last_error_kind",
    "last_success_at", "last_change_at", "consecutive_failures", "removed_at",
)  # fmt: skip
POLL_COLUMNS = (
    "id", "started_at", "finished_at", "trigger", "observed_commit", "approved_commit", "summary",
)  # fmt: skip
DRIFT_COLUMNS = (
    "id", "device_id", "fingerprint", "category", "path", "removed", "added", "verdict",
    "reason", "ticket_id", "opened_at", "last_seen_at", "closed_at", "close_reason",
    "accepted_by", "accept_reason",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "kind", "dedupe_key", "device", "drift_item_id", "poll_id", "payload", "created_at",
)  # fmt: skip
TICKET_COLUMNS = ("id", "status", "data", "created_at", "updated_at")
AUDIT_COLUMNS = ("id", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


def devices(session: Session, site: str) -> list[dict[str, Any]]:
    """Every device of the site (a few dozen rows: copied whole each time)."""
    rows = session.scalars(select(Device).where(Device.site == site).order_by(Device.id))
    return [_row(d, DEVICE_COLUMNS, site=site) for d in rows]


def appended(session: Session, site: str, model: type[Event | AuditEntry], last_id: int) -> Batch:
    """Events or audit entries after ``last_id`` (append-only tables)."""
    columns = EVENT_COLUMNS if model is Event else AUDIT_COLUMNS
    query = select(model).where(model.site == site, model.id > last_id)
    found: list[Event | AuditEntry] = list(session.scalars(query.order_by(model.id).limit(BATCH)))
    rows = [_row(r, columns, site=site) for r in found]
    return Batch(rows, found[-1].id if found else last_id, len(found) == BATCH)


def polls(session: Session, site: str, last_id: int) -> Batch:
    """Polls after ``last_id``; the watermark stops before the first unfinished one, which is
    copied again (finished) next time."""
    query = select(Poll).where(Poll.site == site, Poll.id > last_id).order_by(Poll.id)
    found = list(session.scalars(query.limit(BATCH)))
    unfinished = [p.id for p in found if p.finished_at is None]
    mark = unfinished[0] - 1 if unfinished else (found[-1].id if found else last_id)
    rows = [_row(p, POLL_COLUMNS, site=site) for p in found]
    return Batch(rows, mark, len(found) == BATCH and mark > last_id)


def device_days(session: Session, site: str, last_id: int) -> Batch:
    """Per-device daily counts (UTC days) of every day that got device polls after ``last_id``,
    recomputed whole from the site's store, so a day copied twice is the same row."""
    query = (
        select(DevicePoll.id, DevicePoll.device_id, DevicePoll.at)
        .join(Device, Device.id == DevicePoll.device_id)
        .where(Device.site == site, DevicePoll.id > last_id)
        .order_by(DevicePoll.id)
        .limit(BATCH * SCAN)
    )
    found = session.execute(query).all()
    touched: dict[date, set[int]] = defaultdict(set)
    for _id, device_id, at in found:
        touched[at.astimezone(UTC).date()].add(device_id)
    rows = [row for day, ids in sorted(touched.items()) for row in _days(session, site, day, ids)]
    return Batch(rows, found[-1][0] if found else last_id, len(found) == BATCH * SCAN)


def _days(session: Session, site: str, day: date, device_ids: set[int]) -> list[dict[str, Any]]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    dp = DevicePoll
    query = (
        select(dp.device_id, dp.status, dp.duration_s, dp.at)
        .where(dp.device_id.in_(sorted(device_ids)))
        .where(dp.at >= start, dp.at < start + timedelta(days=1))
        .order_by(dp.at, dp.id)
    )
    counts: dict[int, dict[str, Any]] = {}
    for device_id, status, duration, at in session.execute(query):
        row = counts.setdefault(device_id, _empty_day(site, device_id, day))
        row["polls"] += 1
        if status in ("ok", "unchanged", "changed", "failed", "quarantined"):
            row[status] += 1
        row["duration_s"] += duration or 0.0
        row["last_status"], row["last_at"] = status, at
    return list(counts.values())


def _empty_day(site: str, device_id: int, day: date) -> dict[str, Any]:
    counts = dict.fromkeys(("polls", "ok", "unchanged", "changed", "failed", "quarantined"), 0)
    return {"site": site, "device_id": device_id, "day": day, **counts, "duration_s": 0.0}


def drift_items(session: Session, site: str, last_id: int, since: datetime | None) -> Batch:
    """New items, every open one (last seen moves) and those closed since the last copy."""
    query = select(DriftItem).where(DriftItem.site == site)
    if since is not None:
        query = query.where(
            or_(
                DriftItem.id > last_id,
                DriftItem.closed_at.is_(None),
                DriftItem.closed_at >= since - MARGIN,
            )
        )
    found = list(session.scalars(query.order_by(DriftItem.id)))
    rows = [_row(i, DRIFT_COLUMNS, site=site) for i in found]
    return Batch(rows, max([last_id, *(i.id for i in found)]), more=False)


def tickets(session: Session, site: str, since: datetime | None) -> list[dict[str, Any]]:
    """Tickets made or changed since the last copy (all of them the first time)."""
    query = select(TicketRow).where(TicketRow.site == site)
    if since is not None:
        query = query.where(TicketRow.updated_at >= since - MARGIN)
    return [_row(t, TICKET_COLUMNS, site=site) for t in session.scalars(query)]


def file_tickets(session: Session, site: str, folder: Path) -> list[dict[str, Any]]:
    """The tickets kept as YAML files in the site's tickets folder (tickets as code), as rows
    like the database's; a file that cannot be read is left out (the poll reports it).

    They are copied whole at every sync (a folder holds a few dozen): upserts, never duplicates.
    An id also used by a database ticket is left to the database's row."""
    loaded = YamlFolderSource(folder).load()
    stored = set(session.scalars(select(TicketRow.id).where(TicketRow.site == site)))
    rows = []
    for ticket in loaded.tickets:
        if ticket.id in stored:
            continue
        origin = Path(loaded.origins[ticket.id])
        changed = datetime.fromtimestamp(origin.stat().st_mtime, UTC)
        data = {**ticket.as_dict(), "origin": f"{folder.name}/{origin.name}"}
        rows.append(
            {
                "site": site,
                "id": ticket.id,
                "status": str(ticket.status),
                "data": data,
                "created_at": changed,
                "updated_at": changed,
            }
        )
    return rows


def last_poll_at(session: Session, site: str) -> datetime | None:
    """When the site's newest finished poll ended."""
    return session.scalars(
        select(Poll.finished_at)
        .where(Poll.site == site, Poll.finished_at.is_not(None))
        .order_by(Poll.id.desc())
        .limit(1)
    ).first()


def report_files(folder: Path, site: str, since: datetime | None) -> list[dict[str, Any]]:
    """The documents (PDF, HTML) in the report folder written since the last copy: path
    relative to the folder, kind, size, SHA-256, time. Attachments are not copied."""
    if not folder.is_dir():
        return []
    rows = []
    for path in sorted(documents(folder)):
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        if since is not None and modified < since - MARGIN:
            continue
        relative = path.relative_to(folder).as_posix()
        rows.append(
            {
                "site": site,
                "path": relative,
                "kind": _kind(relative),
                "size": stat.st_size,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "modified_at": modified,
            }
        )
    return rows


def documents(folder: Path) -> Sequence[Path]:
    """The documents (PDF, HTML) under ``folder``, without hidden files and attachments."""
    return [
        p
        for p in folder.rglob("*")
        if p.suffix in (".pdf", ".html")
        and p.is_file()
        and not p.name.startswith(".")
        and not any(part.endswith("-files") for part in p.relative_to(folder).parts)
    ]


def _kind(relative: str) -> str:
    if relative.startswith("interventions/"):
        return "intervention"
    return "monthly" if _MONTHLY.search(relative) else "audit"
