"""The daemon's live record of its jobs: kept in memory, written to the database when usable.

APScheduler's memory job store forgets everything at exit; this record remembers, per job id,
when it last ran, succeeded and failed, with what error, and when it runs next. The daemon uses
it for the catch-up at start and for ``job_failed`` dedupe (one alert per failure streak);
``prisme-drift status`` shows it (``store.jobstate``).

The database is only touched once the daemon's start-up checks have found it sound
(:meth:`JobStateStore.use_store`), and not while it is unusable (:meth:`JobStateStore.hold`:
disk full, read-only, corrupt, state folder gone). Meanwhile the record lives in memory and is
written whole as soon as the store is usable again. The first write imports the records of an
older ``state/jobs.json`` (then renamed ``jobs.json.imported``).
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prisme_drift.store.jobstate import (
    IMPORTED,
    JOBS_FILE,
    DaemonInfo,
    JobState,
    Snapshot,
    load_snapshot,
    read_jobs_file,
    save_snapshot,
)
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

WRITE_WAIT = 10.0  # seconds use_store / close wait for the database
RETRY_EVERY = 5.0  # seconds between writes retried while the database refuses them


def _merge(old: JobState, new: JobState) -> JobState:
    """A job's persisted record ``old`` followed by what this process saw of it (``new``)."""
    if not new.runs and not new.last_started_at:
        return JobState(**{**vars(old), "next_run_at": new.next_run_at or old.next_run_at})
    merged = JobState(**{k: v if v is not None else getattr(old, k) for k, v in vars(new).items()})
    merged.runs, merged.failures = old.runs + new.runs, old.failures + new.failures
    if new.last_success_at is None:  # no success since: the old streak goes on
        merged.consecutive_failures = old.consecutive_failures + new.consecutive_failures
        merged.failing_since = old.failing_since or new.failing_since
    else:  # a success in this process ended the old streak
        merged.failing_since = new.failing_since
    return merged


class JobStateStore:
    """Thread-safe job states; every change is written through once the store is usable."""

    def __init__(self, database_url: str, state_dir: Path, site: str) -> None:
        self.database_url = database_url
        self.legacy = state_dir / JOBS_FILE
        self.site = site
        self._lock = threading.Lock()
        self._data = Snapshot(site)
        self._usable = False  # until the start-up checks pass
        self._loaded = False  # the store's records merged in
        self._failing = False
        self._version = self._written = self._failures = 0
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._writer: threading.Thread | None = None
        self._closing = False

    # -- reading ----------------------------------------------------------------------------
    def get(self, job_id: str) -> JobState:
        """A copy of a job's state (an empty one for a job never seen)."""
        with self._lock:
            return JobState(**vars(self._data.jobs.get(job_id, JobState())))

    @property
    def daemon(self) -> DaemonInfo:
        """A copy of the daemon's own record."""
        with self._lock:
            return DaemonInfo(**vars(self._data.daemon))

    def snapshot(self) -> dict[str, Any]:
        """The record as JSON data (what ``status --json`` shows)."""
        with self._lock:
            return self._data.as_json()

    # -- the store --------------------------------------------------------------------------
    def use_store(self, timeout: float = WRITE_WAIT) -> bool:
        """The store is sound: load what it holds (and a ``jobs.json`` to import) under what
        this process recorded, then write everything; True once written (a failure is logged,
        and retried at the next change)."""
        with self._lock:
            self._usable = True
            self._save()
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="job-state writer", daemon=True
                )
                self._writer.start()
        return self.flush(timeout)

    def hold(self) -> None:
        """The store is unusable: keep the record in memory until :meth:`use_store`."""
        with self._lock:
            self._usable = False

    def flush(self, timeout: float = WRITE_WAIT) -> bool:
        """Wait until every change so far is in the database; False if a write failed, the
        store is held or ``timeout`` passed first."""
        with self._lock:
            target, failures, usable = self._version, self._failures, self._usable
        if not usable or self._writer is None:
            return False
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._done:
            while self._written < target and self._failures == failures:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
            return self._written >= target

    def close(self, timeout: float = WRITE_WAIT) -> None:
        """Write what is left (at most ``timeout`` seconds), then stop the writer thread."""
        self.flush(timeout)
        self._closing = True
        self._wake.set()

    def _save(self) -> None:
        """A change to write (under ``_lock``): the writer thread takes it, so that no caller
        (the main loop pinging systemd, above all) ever waits on the database."""
        self._version += 1
        if self._usable:
            self._wake.set()

    def _write_loop(self) -> None:
        while not self._closing:
            self._wake.wait(RETRY_EVERY if self._failing else None)
            self._wake.clear()
            if not self._closing:
                self._write_pending()

    def _write_pending(self) -> None:
        with self._lock:
            if not self._usable or self._written >= self._version:
                return
        try:
            version = self._write()
        except Exception as exc:  # said once until a write succeeds again (disk full)
            if not self._failing:
                log.error(
                    "[%s] cannot write the job state into the database (%s: %s); it is kept "
                    "in memory and written when the database is usable again",
                    self.site,
                    type(exc).__name__,
                    exc,
                )
            self._failing = True
            with self._done:
                self._failures += 1
                self._done.notify_all()
            return
        if self._failing:
            log.info("[%s] the job state is written to the database again", self.site)
        self._failing = False
        self._retire_legacy()
        with self._done:
            self._written = max(self._written, version)
            self._done.notify_all()

    def _write(self) -> int:
        """Write the record in one transaction (loading the store's first); its version."""
        from prisme_drift.store.engine import session_factory, shared_engine

        with session_factory(shared_engine(self.database_url)).begin() as session:
            with self._lock:
                if not self._loaded:
                    self._load(session)
                    self._loaded = True
                version, data = self._version, copy.deepcopy(self._data)
            save_snapshot(session, data)
        return version

    def _load(self, session: Any) -> None:
        legacy = read_jobs_file(self.legacy, self.site) if self.legacy.exists() else None
        old = legacy or load_snapshot(session, self.site) or Snapshot(self.site)
        mine = self._data
        for job in old.jobs.values():
            job.running_since = None  # left "running" by a dead daemon
        if mine.daemon.started_at is None:  # no daemon started in this process: keep its record
            mine.daemon = old.daemon
        first = [t for t in (old.daemon.first_started_at, mine.daemon.first_started_at) if t]
        mine.daemon.first_started_at = min(first, default=None)
        for job_id, job in old.jobs.items():
            mine.jobs[job_id] = _merge(job, mine.jobs[job_id]) if job_id in mine.jobs else job
        if legacy is not None:
            log.info("[%s] job history imported from %s", self.site, self.legacy)

    def _retire_legacy(self) -> None:
        if self._loaded and self.legacy.exists():
            try:
                os.replace(self.legacy, self.legacy.with_name(JOBS_FILE + IMPORTED))
            except OSError as exc:  # imported again next start: the same records, harmless
                log.warning("[%s] cannot rename %s: %s", self.site, self.legacy, exc)

    # -- writing ----------------------------------------------------------------------------
    def _job(self, job_id: str) -> JobState:
        return self._data.jobs.setdefault(job_id, JobState())

    def daemon_started(self, settings_file: Path, now: datetime) -> None:
        """A new daemon process took over; jobs left "running" by a dead one are not."""
        with self._lock:
            info = self._data.daemon
            info.pid, info.started_at, info.stopped_at = os.getpid(), now, None
            info.first_started_at = info.first_started_at or now
            info.mode, info.degraded_reason = "starting", None
            info.settings = str(settings_file)
            for job in self._data.jobs.values():
                job.running_since = None
            self._save()

    def set_mode(self, mode: str, reason: str | None = None) -> None:
        """running | degraded | stopped, with the reason of a degraded mode."""
        with self._lock:
            info = self._data.daemon
            info.mode, info.degraded_reason = mode, reason
            if mode == "stopped":
                info.stopped_at = utcnow()
                for job in self._data.jobs.values():
                    job.running_since = None
            self._save()

    def started(self, job_id: str, now: datetime) -> None:
        """A run began."""
        with self._lock:
            job = self._job(job_id)
            job.last_started_at = job.running_since = now
            self._save()

    def succeeded(self, job_id: str, now: datetime, note: str | None = None) -> None:
        """A run ended well; the failure streak is over."""
        with self._lock:
            job = self._finish(job_id, now, "ok", note)
            job.last_success_at = now
            job.consecutive_failures, job.failing_since = 0, None
            self._save()

    def noted(self, job_id: str, now: datetime, outcome: str, note: str) -> None:
        """A run that neither succeeded nor failed (skipped, cancelled at shutdown)."""
        with self._lock:
            self._finish(job_id, now, outcome, note)
            self._save()

    def failed(self, job_id: str, now: datetime, error: str) -> datetime:
        """A run failed (or was missed); returns the start of the failure streak it belongs to."""
        with self._lock:
            job = self._finish(job_id, now, "failed", None)
            job.last_failure_at, job.last_error = now, error[:2000]
            job.failures += 1
            job.consecutive_failures += 1
            job.failing_since = job.failing_since or now
            self._save()
            return job.failing_since

    def _finish(self, job_id: str, now: datetime, outcome: str, note: str | None) -> JobState:
        job = self._job(job_id)
        if job.running_since is not None:
            job.last_duration_s = round((now - job.running_since).total_seconds(), 3)
        job.running_since = None
        job.runs += 1
        job.last_outcome, job.last_note = outcome, note
        return job

    def set_next_runs(self, next_runs: dict[str, datetime | None]) -> None:
        """Next run times from the scheduler; forgets removed one-shot (window) jobs' times.

        Written only when something changed, so the main loop may call it at every tick.
        """
        with self._lock:
            changed = False
            for job_id, job in self._data.jobs.items():
                wanted = next_runs.get(job_id)
                if job.next_run_at != wanted:
                    job.next_run_at, changed = wanted, True
            for job_id, when in next_runs.items():
                if job_id not in self._data.jobs:
                    self._data.jobs[job_id] = JobState(next_run_at=when)
                    changed = True
            if changed:
                self._save()

    def prune(self, keep: set[str], older_than: datetime) -> None:
        """Forget one-shot jobs not in ``keep`` whose last activity is before ``older_than``."""
        with self._lock:
            stale = [
                job_id
                for job_id, job in self._data.jobs.items()
                if job_id not in keep
                and job.running_since is None
                and max(
                    (t for t in (job.last_started_at, job.next_run_at) if t),
                    default=older_than,
                )
                <= older_than
            ]
            for job_id in stale:
                del self._data.jobs[job_id]
            if stale:
                self._save()
