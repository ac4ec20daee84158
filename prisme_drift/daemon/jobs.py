"""What the daemon's jobs do: poll, ticket-window snapshot, outbox, backup, git maintenance,
window planning. Each body returns a :class:`JobResult`; the scheduler records it.

Site writers (polls, ``git gc``) take the daemon's writer lock in turn, then the site lock as any
prisme-drift command does. A store that turns out unusable mid-job puts the daemon in degraded
mode through its host (the supervisor).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Protocol

from prisme_drift.config import Settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.daemon.alerts import INTEGRITY_JOB, send_outbox
from prisme_drift.daemon.fleet import fleet_sync_job
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.daemon.maintenance import (
    BACKUP_DIR,
    MaintenanceError,
    backup_sqlite,
    git_fsck,
    git_gc,
    sqlite_file,
)
from prisme_drift.daemon.monthly import monthly_report_job
from prisme_drift.daemon.scheduler import JobResult, JobScheduler, one_line
from prisme_drift.errors import (
    CorruptStoreError,
    DiskFullError,
    PrismeDriftError,
    ReadOnlyError,
    SiteBusyError,
    StateMissingError,
)
from prisme_drift.models import PollReport
from prisme_drift.notify.direct import drain_spool
from prisme_drift.sitelock import site_lock
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

SITE_BUSY_WAIT = 120.0  # a poll waits this long for a manual command holding the site lock
JOB_STATE_TTL = timedelta(days=7)
#: Store problems the outbox cannot report (it lives in that store), by error class; the first
#: two clear up by themselves (space freed, remounted), so the daemon retries them.
STORE_PROBLEMS: tuple[tuple[type[PrismeDriftError], str], ...] = (
    (DiskFullError, "disk_full"),
    (ReadOnlyError, "read_only"),
    (CorruptStoreError, "corrupt"),
    (StateMissingError, "state_missing"),
)
RETRYABLE = ("disk_full", "read_only")


def store_problem(exc: BaseException) -> str | None:
    """``disk_full``, ``read_only``, ``corrupt``, ``state_missing``, or None for the others."""
    return next((name for kind, name in STORE_PROBLEMS if isinstance(exc, kind)), None)


def describe_report(report: PollReport) -> str:
    """``poll 12: 3 unchanged, 1 changed; 2 open drift (1 opened, 0 closed), commit abc``."""
    counts: dict[str, int] = {}
    for device in report.devices:
        counts[str(device.status)] = counts.get(str(device.status), 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no device"
    text = (
        f"poll {report.poll_id}: {statuses}; {len(report.drift)} open drift "
        f"({len(report.opened)} opened, {len(report.closed)} closed)"
    )
    return text + (f", commit {report.commit[:10]}" if report.commit else "")


@contextmanager
def write_turn(writer: threading.Lock, stop: threading.Event) -> Iterator[bool]:
    """The daemon's writer lock (one site writer at a time); False if stopping first."""
    while not writer.acquire(timeout=0.5):
        if stop.is_set():
            yield False
            return
    try:
        yield True
    finally:
        writer.release()


@contextmanager
def site_lock_waiting(
    state_dir: Path, site: str, purpose: str, stop: threading.Event
) -> Iterator[bool]:
    """The site lock, waiting for a manual command to finish; False if stopping first."""
    with ExitStack() as stack:
        waited = 0.0
        while True:
            try:
                stack.enter_context(site_lock(state_dir, purpose))
                break
            except SiteBusyError as exc:
                if waited % 60 == 0:
                    log.info("[%s] %s: %s; waiting", site, purpose, exc)
                if stop.wait(1.0):
                    yield False
                    return
                waited += 1
        yield True


class JobHost(Protocol):
    """What job bodies need of the daemon that runs them (the supervisor)."""

    live: Settings  # the settings file as last (re)loaded
    settings: Settings  # the same, pointing at the daemon's inventory copy
    site: str
    degraded: str | None
    degraded_problem: str | None
    stop_event: threading.Event
    writer: threading.Lock
    states: JobStateStore
    jobs: JobScheduler

    def enter_degraded(self, reason: str, alert: bool = True, problem: str | None = None) -> None:
        """Refuse writes from now on, alerting once."""


class JobBodies:
    """The job bodies of one daemon, dispatched by kind."""

    def __init__(self, host: JobHost) -> None:
        self.host = host
        self.site = host.site

    @property
    def scheduler(self) -> JobScheduler:
        """The host's scheduler (created after these bodies, which it runs)."""
        return self.host.jobs

    def run(self, kind: str, argument: str | None) -> JobResult:  # noqa: PLR0911 (dispatch)
        """The body of a job of this kind (a window poll's argument is its ticket edge)."""
        if kind == plan.POLL:
            return self.poll("daemon")
        if kind == "window":
            return self.poll(f"window-{argument}")
        if kind == plan.OUTBOX:
            return self.outbox()
        if kind == plan.BACKUP:
            return self.backup()
        if kind == plan.GIT:
            return self.git_maintenance()
        if kind == plan.WINDOWS:
            return self.refresh_windows()
        if kind == plan.MONTHLY:
            return JobResult(*monthly_report_job(self.host.settings, utcnow()))
        if kind == plan.FLEET:
            return self.fleet_sync()
        raise PrismeDriftError(f"unknown job kind {kind!r}", site=self.site)

    def fleet_sync(self) -> JobResult:
        """A copy to the central database (reads only: no writer turn, no site lock), then the
        change plans approved online pulled in the writer turn (they are written as tickets)."""
        host = self.host
        if host.degraded:
            return self._refused()
        turn = partial(write_turn, host.writer, host.stop_event)
        return JobResult(*fleet_sync_job(host.live, turn))

    def _refused(self) -> JobResult:
        return JobResult("refused", f"degraded mode: {self.host.degraded}")

    def poll(self, trigger: str) -> JobResult:
        """A poll of every device (``trigger``: daemon or window-<edge>), then an outbox kick."""
        from prisme_drift.poll import PollCancelled

        host = self.host
        if host.degraded:
            return self._refused()
        settings = host.settings
        try:
            with write_turn(host.writer, host.stop_event) as turn:
                report = self._poll_when_site_free(settings, trigger) if turn else None
        except PollCancelled:
            return JobResult("cancelled", "cancelled at shutdown after collecting; nothing written")
        except PrismeDriftError as exc:
            if store_problem(exc) is None:
                raise
            host.enter_degraded(one_line(exc), problem=store_problem(exc))
            return self._refused()
        if report is None:
            return JobResult("skipped", "the daemon is stopping")
        self.scheduler.kick(plan.OUTBOX)
        return JobResult("ok", describe_report(report))

    def _poll_when_site_free(self, settings: Settings, trigger: str) -> PollReport | None:
        """``run_poll``, waiting while a manual command holds the site lock."""
        from prisme_drift.poll import run_poll

        stop, waited = self.host.stop_event, 0.0
        while True:
            try:
                return run_poll(settings, trigger=trigger, deliver=False, cancel=stop)
            except SiteBusyError as exc:
                if waited >= SITE_BUSY_WAIT:
                    raise
                if waited == 0:
                    log.info("[%s] %s; the poll waits for it", self.site, exc)
                if stop.wait(2.0):
                    return None
                waited += 2.0

    def outbox(self) -> JobResult:
        """Spooled out-of-store alerts first, then the outbox unless its store is unusable."""
        host = self.host
        drained = drain_spool(host.settings)
        if host.degraded and host.degraded_problem:
            note = f"the outbox is in the unusable store; {drained} spooled alert(s) sent"
            return JobResult("skipped", note, quiet=not drained)
        line, attempted = send_outbox(host.settings)
        return JobResult("ok", line, quiet=not attempted)

    def backup(self) -> JobResult:
        """An online backup of a SQLite store, keeping the newest few."""
        if self.host.degraded:
            return self._refused()
        settings = self.host.settings
        database = sqlite_file(settings.database_url)
        if database is None:
            log.info(
                "[%s] maintenance-backup: the state database is not SQLite; back it up with "
                "its own tools (pg_dump); skipped",
                self.site,
            )
            return JobResult("skipped", "not SQLite")
        if not database.exists():
            return JobResult("skipped", f"no database yet at {database}")
        keep = settings.schedule.backups_keep
        path = backup_sqlite(database, settings.state_path / BACKUP_DIR, keep, utcnow())
        size = path.stat().st_size // 1024
        return JobResult("ok", f"backup {path} ({size} KiB), keeping the {keep} newest")

    def git_maintenance(self) -> JobResult:
        """``git gc`` then ``git fsck`` under the site lock; a failed fsck degrades the daemon."""
        host = self.host
        if host.degraded:
            return self._refused()
        git_dir, stop = host.settings.baseline_path, host.stop_event
        with (
            write_turn(host.writer, stop) as turn,
            site_lock_waiting(host.live.state_path, self.site, "git maintenance", stop) as locked,
        ):
            if not (turn and locked):
                return JobResult("skipped", "the daemon is stopping")
            note = git_gc(git_dir, stop)
            problem = git_fsck(git_dir, stop)
        if problem:
            host.enter_degraded(problem, alert=False)  # the job's own failure alerts
            raise MaintenanceError(problem, site=self.site)
        return JobResult("ok", f"{note}; git fsck ok")

    def refresh_windows(self) -> JobResult:
        """Re-read the tickets; one poll job per approved window edge within two days."""
        from prisme_drift.authorize.service import all_tickets
        from prisme_drift.authorize.verdicts import upcoming_windows

        now = utcnow()
        edges = upcoming_windows(all_tickets(self.host.live), now, plan.WINDOW_HORIZON)
        wanted = plan.window_plans(edges, self.scheduler.poll_grace)
        added, removed = self.scheduler.sync_windows(wanted)
        keep = {*plan.FIXED_JOBS, *plan.OPTIONAL_JOBS, INTEGRITY_JOB, *wanted}
        self.host.states.prune(keep, now - JOB_STATE_TTL)
        for job_id in added:
            when = self.scheduler.local(self.scheduler.next_run(job_id))
            log.info("[%s] %s planned at %s", self.site, job_id, when)
        for job_id in removed:
            log.info("[%s] %s unplanned (ticket changed or withdrawn)", self.site, job_id)
        note = f"{len(wanted)} window snapshot(s) planned"
        return JobResult("ok", note, quiet=not (added or removed))
