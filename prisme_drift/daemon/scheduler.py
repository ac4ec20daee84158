"""The daemon's APScheduler 3.x adapter: plans in, job runs out, every outcome recorded.

Jobs are defined in code with fixed ids in a memory job store (APScheduler forgets them at exit;
our job state remembers). Each run goes through :meth:`JobScheduler.run_job` (job state, running
count, then the body the supervisor gave), and the listener records its outcome: one
``job_failed`` alert per failure streak.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from prisme_drift.config import Settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.daemon.alerts import raise_job_failed
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.errors import PrismeDriftError
from prisme_drift.scrub import scrub
from prisme_drift.timefmt import local_time, utcnow

log = logging.getLogger(__name__)

#: The outcome of a job the daemon's stop overtook before it began: nothing is recorded.
NOT_RUN = "not_run"


@dataclass(frozen=True)
class JobResult:
    """What a job body returns: ``ok``, ``skipped``, ``cancelled`` or ``refused`` (a failure
    that was already alerted, such as a poll refused in degraded mode)."""

    outcome: str
    note: str
    quiet: bool = False


def one_line(exc: BaseException) -> str:
    """An error on one line (problems of a ConfigError joined with '; ')."""
    text = str(exc) if isinstance(exc, PrismeDriftError) else f"{type(exc).__name__}: {exc}"
    return "; ".join(part.strip(" -") for part in text.splitlines() if part.strip())


Body = Callable[[str, str | None], JobResult]


class JobScheduler:
    """A BackgroundScheduler running ``body(kind, argument)`` for each planned job."""

    def __init__(
        self,
        live: Callable[[], Settings],
        states: JobStateStore,
        stop_event: threading.Event,
        body: Body,
    ) -> None:
        self._live = live  # the settings file as last (re)loaded
        self.site = live().site.name
        self.states = states
        self.stop_event = stop_event
        self._body = body
        self.scheduler: BackgroundScheduler | None = None
        self.poll_grace = plan.MIN_GRACE
        self._plans_lock = threading.Lock()
        self._keys: dict[str, Hashable] = {}
        self._running = 0
        self._idle = threading.Condition()

    def local(self, when: datetime | None) -> str:
        """A time in the site's zone, ``never`` for None."""
        return local_time(when, self._live().site.timezone, empty="never")

    # ------------------------------------------------------------------ plans
    def start(self, paused: bool = False) -> None:
        """Create the scheduler, plan the fixed jobs (with catch-up) and start its thread."""
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=ZoneInfo(self._live().site.timezone),
        )
        self.scheduler.add_listener(
            self.on_event,
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
        )
        self.apply_plans()
        self.scheduler.start(paused=paused)

    def apply_plans(self) -> None:
        """(Re)schedule the fixed jobs whose trigger changed (all of them at start)."""
        now, live = utcnow(), self._live()
        last = {
            job_id: self.states.get(job_id).last_success_at
            for job_id in (*plan.FIXED_JOBS, *plan.OPTIONAL_JOBS)
        }
        plans = plan.fixed_plans(live, last, self.states.daemon.first_started_at, now)
        for job in plans:
            if job.job_id == plan.POLL:
                self.poll_grace = job.grace
            with self._plans_lock:
                if self._keys.get(job.job_id) != job.key:
                    self._add(job)
                    if job.catch_up:
                        log.info(
                            "[%s] %s: last success %s, overdue: runs at %s",
                            self.site,
                            job.job_id,
                            self.local(last.get(job.job_id)),
                            self.local(job.first_run),
                        )

    def _add(self, job: plan.JobPlan) -> None:
        assert self.scheduler is not None
        extra: dict[str, Any] = {}
        if job.first_run is not None:
            extra["next_run_time"] = job.first_run
        self.scheduler.add_job(
            self.run_job,
            trigger=job.trigger,
            args=(job.job_id, job.kind, job.argument),
            id=job.job_id,
            name=job.job_id,
            misfire_grace_time=job.grace,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            **extra,
        )
        self._keys[job.job_id] = job.key

    def sync_windows(self, wanted: dict[str, plan.JobPlan]) -> tuple[list[str], list[str]]:
        """Make the window jobs exactly ``wanted``; (added, removed) job ids."""
        if self.scheduler is None:
            return [], []
        added, removed = [], []
        with self._plans_lock:
            current = {
                job.id
                for job in self.scheduler.get_jobs()
                if job.id.startswith(plan.WINDOW_PREFIX) and job.id != plan.WINDOWS
            }
            for job_id in current:
                if job_id not in wanted or self._keys.get(job_id) != wanted[job_id].key:
                    with suppress(JobLookupError):
                        self.scheduler.remove_job(job_id)
                    self._keys.pop(job_id, None)
                    if job_id not in wanted:
                        removed.append(job_id)
            for job_id, job in wanted.items():
                if self._keys.get(job_id) != job.key:
                    self._add(job)
                    added.append(job_id)
        return added, removed

    def kick(self, job_id: str) -> None:
        """Run a job as soon as possible (the outbox after a poll)."""
        if self.scheduler is None or self.stop_event.is_set():
            return
        with suppress(JobLookupError):
            self.scheduler.modify_job(job_id, next_run_time=utcnow())

    def shutdown(self) -> None:
        """Stop firing jobs; the running ones go on (see :meth:`wait_idle`)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    # ------------------------------------------------------------------ what it knows
    def alive(self) -> bool:
        """Whether the scheduler's loop thread still runs."""
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return False
        thread = getattr(scheduler, "_thread", None)  # BackgroundScheduler's loop thread
        return thread is None or bool(thread.is_alive())

    def next_run(self, job_id: str) -> datetime | None:
        """When a job runs next, or None."""
        if self.scheduler is None:
            return None
        job = self.scheduler.get_job(job_id)
        return getattr(job, "next_run_time", None) if job else None

    def jobs_line(self) -> str:
        """``poll at ..., outbox at ...`` for the start-up log line."""
        if self.scheduler is None:
            return "no job"
        return ", ".join(
            f"{job.id} at {self.local(job.next_run_time)}" for job in self.scheduler.get_jobs()
        )

    def record_next_runs(self) -> None:
        """Copy every job's next run time into the job state."""
        if self.scheduler is None:
            return
        self.states.set_next_runs({job.id: job.next_run_time for job in self.scheduler.get_jobs()})

    # ------------------------------------------------------------------ running
    def run_job(self, job_id: str, kind: str, argument: str | None) -> JobResult:
        """Every job goes through here: state, running count, then its body."""
        if self.stop_event.is_set():
            # overtaken by the stop before it began: it did not run, its last outcome stays
            return JobResult(NOT_RUN, "the daemon is stopping")
        self.states.started(job_id, utcnow())
        with self._idle:
            self._running += 1
        try:
            return self._body(kind, argument)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, seconds: float, tick: float, ping: Callable[[], object]) -> bool:
        """Wait up to ``seconds`` for the running jobs to end, calling ``ping`` every ``tick``;
        True if they did."""
        deadline = time.monotonic() + seconds
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, tick))
                ping()
        return True

    # ------------------------------------------------------------------ events
    def on_event(self, event: Any) -> None:
        """APScheduler listener: executed, error, missed, still running."""
        job_id, now = str(event.job_id), utcnow()
        if event.code == EVENT_JOB_EXECUTED:
            self._on_executed(job_id, now, event.retval)
        elif event.code == EVENT_JOB_ERROR:
            if not isinstance(event.exception, PrismeDriftError):
                log.error("[%s] job %s: %s", self.site, job_id, event.traceback or "")
            self._on_failure(job_id, now, one_line(event.exception))
        elif event.code == EVENT_JOB_MISSED:
            when = self.local(event.scheduled_run_time)
            self._on_failure(
                job_id,
                now,
                f"missed its run of {when}: the daemon was stopped, busy or asleep for longer "
                "than the misfire grace time",
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.info(
                "[%s] job %s is still running at its next run time; that run is skipped",
                self.site,
                job_id,
            )
        self.record_next_runs()

    def _on_executed(self, job_id: str, now: datetime, result: Any) -> None:
        if not isinstance(result, JobResult):
            result = JobResult("ok", "done")
        if result.outcome == NOT_RUN:
            log.debug("[%s] job %s not run: %s", self.site, job_id, result.note)
        elif result.outcome == "ok":
            self.states.succeeded(job_id, now, result.note)
            level = logging.DEBUG if result.quiet else logging.INFO
            log.log(level, "[%s] job %s: %s", self.site, job_id, result.note)
        elif result.outcome == "refused":
            self.states.failed(job_id, now, result.note)
            log.warning("[%s] job %s refused: %s", self.site, job_id, result.note)
        else:
            self.states.noted(job_id, now, result.outcome, result.note)
            log.info("[%s] job %s %s: %s", self.site, job_id, result.outcome, result.note)

    def _on_failure(self, job_id: str, now: datetime, error: str) -> None:
        error = scrub(error)  # it goes to the job state, the journal and the job_failed alert
        failing_since = self.states.failed(job_id, now, error)
        log.error("[%s] job %s failed: %s", self.site, job_id, error)
        if failing_since == now:  # first failure of a streak: one alert per streak
            raise_job_failed(self._live(), job_id, error, failing_since, now)
