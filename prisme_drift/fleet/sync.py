"""``fleet sync``: copy what changed in this site's store to the central database, then pull
the change plans approved online (``fleet/pull.py``).

Idempotent upserts keyed by (site, local id), in batches; each batch and the watermark it moves
are one central transaction, so a sync cut short (timeout, outage of days, kill) resumes where
it stopped and never duplicates. The copy only reads the site's store; the pull writes the
approved plans into it as tickets, in one transaction, like ``ticket approve``. The central
database is a copy: nothing here is needed by polls, detection or alerting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError, FleetError
from prisme_drift.fleet import copies, schema, sources
from prisme_drift.fleet.central import central_engine, check_schema, read_password, unreachable
from prisme_drift.fleet.pull import PullReport, pull_plans
from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import AuditEntry, Event
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

#: The daemon's writer turn: a context manager yielding False if the daemon stops first.
WriterTurn = Callable[[], AbstractContextManager[bool]]


@dataclass
class SyncReport:
    """What one sync copied: rows per central table, and how long it took."""

    site: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    plans: PullReport | None = None  # the change plans pulled after the copy

    def line(self) -> str:
        """``fleet sync: 12 rows (devices 2, polls 3, ...) in 0.4 s; change plans: 1 pulled,
        0 cancelled, 0 refused``."""
        total = sum(self.rows.values())
        parts = ", ".join(f"{name} {n}" for name, n in self.rows.items() if n)
        line = f"fleet sync: {total} rows ({parts or 'nothing new'}) in {self.seconds:.1f} s"
        return line if self.plans is None else f"{line}; {self.plans.line()}"


class _Run:
    """One sync: the site session, the central connection, the deadline."""

    def __init__(self, settings: Settings, session: Session, central: Engine) -> None:
        self.settings, self.session, self.central = settings, session, central
        self.site = settings.site.name
        fleet = settings.fleet
        assert fleet is not None
        self.deadline = time.monotonic() + fleet.timeout_seconds
        self.timeout = fleet.timeout
        self.started = utcnow()
        self.report = SyncReport(self.site)

    def check_time(self, table: str) -> None:
        if time.monotonic() > self.deadline:
            raise FleetError(
                f"fleet sync of site {self.site} gave up at table {table} after "
                f"[fleet] timeout {self.timeout}; what was copied is kept and the next sync "
                "resumes from there (raise timeout for a first copy of a large site)",
                site=self.site,
            )

    def mark(self, connection: Connection, table: str) -> tuple[int, datetime | None]:
        """The (last id, last time) watermark of ``table`` for this site."""
        found = connection.execute(
            select(schema.watermarks.c.last_id, schema.watermarks.c.last_at).where(
                schema.watermarks.c.site == self.site, schema.watermarks.c.table_name == table
            )
        ).first()
        return (int(found[0]), found[1]) if found else (0, None)

    def write(self, table: Table, rows: list[dict[str, Any]], mark: dict[str, Any] | None) -> None:
        """Upsert ``rows`` in batches, then move the watermark of ``table``, as one transaction
        per batch (the watermark goes with the last one)."""
        self.check_time(table.name)
        chunks = [rows[i : i + sources.BATCH] for i in range(0, len(rows), sources.BATCH)] or [[]]
        for index, chunk in enumerate(chunks):
            with self.central.begin() as connection:
                upsert(connection, table, chunk)
                if mark is not None and index == len(chunks) - 1:
                    upsert(connection, schema.watermarks, [mark])
        self.report.rows[table.name] = self.report.rows.get(table.name, 0) + len(rows)

    def write_chunks(self, table: Table, chunks: Iterable[list[dict[str, Any]]]) -> None:
        """Upsert each chunk in its own transaction (no watermark: the rows are compared with
        the central copy, so a sync cut short copies the rest next time)."""
        self.report.rows.setdefault(table.name, 0)
        for chunk in chunks:
            self.write(table, chunk, None)

    def watermark(self, table: str, last_id: int, last_at: datetime | None) -> dict[str, Any]:
        return {
            "site": self.site,
            "table_name": table,
            "last_id": last_id,
            "last_at": last_at,
            "synced_at": utcnow(),
        }

    def by_id(self, table: Table, read: Callable[[int], sources.Batch]) -> None:
        """Batches after the id watermark until none is left."""
        while True:
            with self.central.connect() as connection:
                last_id, _ = self.mark(connection, table.name)
            batch = read(last_id)
            self.write(table, batch.rows, self.watermark(table.name, batch.last_id, None))
            if not batch.more:
                return


def upsert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE`` of every column."""
    if not rows:
        return
    statement = insert(table).values(rows)
    keys = [c.name for c in table.primary_key.columns]
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))


def _copy(run: _Run) -> None:
    site, session = run.site, run.session
    run.write(schema.devices, sources.devices(session, site), None)
    run.by_id(schema.polls, lambda last: sources.polls(session, site, last))
    run.by_id(schema.device_days, lambda last: sources.device_days(session, site, last))
    run.by_id(schema.events, lambda last: sources.appended(session, site, Event, last))
    run.by_id(schema.audit_entries, lambda last: sources.appended(session, site, AuditEntry, last))
    with run.central.connect() as connection:
        drift_mark = run.mark(connection, "drift_items")
        tickets_at = run.mark(connection, "tickets")[1]
        reports_at = run.mark(connection, "report_files")[1]
    batch = sources.drift_items(session, site, drift_mark[0], drift_mark[1])
    drift_mark_next = run.watermark("drift_items", batch.last_id, run.started)
    run.write(schema.drift_items, batch.rows, drift_mark_next)
    ticket_rows = sources.tickets(session, site, tickets_at)
    run.write(schema.tickets, ticket_rows, run.watermark("tickets", 0, run.started))
    folder = run.settings.resolve(run.settings.tickets.folder)
    run.write(schema.tickets, sources.file_tickets(session, site, folder), None)
    folder = run.settings.resolve(run.settings.report.output)
    files = sources.report_files(folder, site, reports_at)
    run.write(schema.report_files, files, run.watermark("report_files", 0, run.started))
    _copy_for_web(run, folder)
    run.write(schema.sites, [_site_row(run)], None)


def _copy_for_web(run: _Run, reports: Path) -> None:
    """The devices' latest states and the documents' bytes, for the web page."""
    fleet = run.settings.fleet
    assert fleet is not None
    with run.central.connect() as connection:
        states = copies.copied_states(connection, run.site)
        documents = copies.copied_documents(connection, run.site)
    rows = copies.device_states(run.settings.baseline_path, run.session, run.site, states)
    batches = [rows[i : i + copies.STATE_BATCH] for i in range(0, len(rows), copies.STATE_BATCH)]
    run.write_chunks(schema.device_states, batches)
    contents = copies.report_contents(reports, run.site, documents, fleet.max_report_bytes)
    run.write_chunks(schema.report_contents, copies.by_size(contents, copies.CONTENT_BATCH_BYTES))


def _site_row(run: _Run) -> dict[str, Any]:
    settings = run.settings
    assert settings.fleet is not None
    return {
        "site": run.site,
        "client": settings.site.client,
        "timezone": settings.site.timezone,
        "sync_every_s": settings.fleet.sync_seconds,
        "last_sync_at": utcnow(),
        "last_poll_at": sources.last_poll_at(run.session, run.site),
    }


def sync_site(settings: Settings, turn: WriterTurn | None = None) -> SyncReport:
    """Copy what changed since the last sync to ``[fleet] url``, then pull the change plans
    approved online; FleetError if the central database is unreachable, refuses, or the sync
    runs out of ``[fleet] timeout``. ``turn`` (the daemon's writer turn) is held while the pull
    writes the site's store; it yields False when the daemon stops first (nothing pulled)."""
    fleet = settings.fleet
    if fleet is None:
        raise ConfigError(
            f"{settings.source}: no [fleet] section: this site copies itself nowhere "
            "(docs/fleet.md says how to set [fleet] url)"
        )
    password = read_password(fleet.password_file, settings.source.parent)
    central = central_engine(fleet.url, password, fleet.timeout_seconds)
    started = time.monotonic()
    try:
        check_schema(central)
        local = shared_engine(settings.database_url)
        with session_factory(local)() as session:
            run = _Run(settings, session, central)
            try:
                _copy(run)
            except SQLAlchemyError as exc:
                raise unreachable(central, f"sync site {run.site} to", exc) from None
        with turn() if turn is not None else nullcontext(True) as writing:
            if writing:
                run.report.plans = pull_plans(settings, central)
    finally:
        central.dispose()
    run.report.seconds = time.monotonic() - started
    log.info("[%s] %s", settings.site.name, run.report.line())
    return run.report
