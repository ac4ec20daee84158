"""``prisme-drift daemon``: the scheduler, its jobs, signals, systemd and the main loop.

Threads: the main thread owns signals, the systemd watchdog and reloads; APScheduler's thread
fires the jobs into a small pool. Site writers (polls, ``git gc``) take one in-process lock in
turn, then the site lock as any prisme-drift command does.

- SIGTERM / SIGINT: stop scheduling, cut device sessions (``collect.session.abort_all``), let the
  running poll end: cancelled before its first write if it was still collecting, or finished if
  it was already writing (a git commit is published by one compare-and-swap). Exit 0.
- SIGHUP: re-read the settings and the inventory; a bad file is refused with one log line and
  the running configuration stays. The inventory is copied into ``state/daemon/`` once
  validated, so an edit without SIGHUP never reaches a poll half-made.
- Start: daemon lock, start-up recovery (see ``recovery``), catch-up, READY=1. A store that
  fails its integrity check puts the daemon in degraded mode: alert, no polls, no writes.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar, TypeVar
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

from prisme_drift.collect.session import abort_all
from prisme_drift.config import InventorySettings, Settings, load_settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.daemon.alerts import INTEGRITY_JOB, raise_job_failed, send_outbox
from prisme_drift.daemon.duration import format_duration
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.daemon.lock import DaemonLock, DaemonRunningError
from prisme_drift.daemon.maintenance import (
    BACKUP_DIR,
    MaintenanceError,
    backup_sqlite,
    git_fsck,
    git_gc,
    sqlite_file,
)
from prisme_drift.daemon.monthly import monthly_report_job
from prisme_drift.daemon.sdnotify import SystemdNotifier
from prisme_drift.errors import (
    CorruptStoreError,
    DiskFullError,
    PrismeDriftError,
    ReadOnlyError,
    StateMissingError,
)
from prisme_drift.models import PollReport
from prisme_drift.notify.direct import drain_spool, send_out_of_store
from prisme_drift.recovery import startup_recovery, translate
from prisme_drift.scrub import guard_handlers, scrub
from prisme_drift.sitelock import SiteBusyError, site_lock
from prisme_drift.statedir import ensure_state
from prisme_drift.timefmt import local_time, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_OK, EXIT_BUSY = 0, 6  # the CLI's table (prisme_drift/cli/app.py)
STOP_GRACE = 25.0  # seconds given to a running job at SIGTERM (systemd waits 30)
SITE_BUSY_WAIT = 120.0  # a poll waits this long for a manual command holding the site lock
TICK = 1.0
SNAPSHOT_DIR = "daemon"
INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")
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


def store_problem(exc: BaseException) -> str | None:
    """``disk_full``, ``read_only``, ``corrupt``, ``state_missing``, or None for the others."""
    return next((name for kind, name in STORE_PROBLEMS if isinstance(exc, kind)), None)


def validate(path: Path) -> tuple[Settings, int]:
    """Settings and inventory as a poll would load them; (settings, device count).

    Raises ConfigError (InventoryError included) naming every problem.
    """
    from prisme_drift.inventory import build_nornir, load_credentials

    settings = load_settings(path)
    nornir = build_nornir(settings)
    load_credentials(settings.credentials_path)
    return settings, len(nornir.inventory.hosts)


class Daemon:
    """One site's daemon; ``run()`` returns the exit code."""

    def __init__(
        self,
        config_path: Path,
        settings: Settings,
        device_count: int,
        notifier: SystemdNotifier | None = None,
    ) -> None:
        self.config_path = config_path
        self.live = settings  # as read from the settings file
        self.settings = settings  # what jobs use: the inventory points at the daemon's copy
        self.site = settings.site.name
        self.device_count = device_count
        self.notifier = notifier or SystemdNotifier.from_env()
        self.states = JobStateStore(settings.state_path, self.site)
        self.stop_event = threading.Event()
        self.degraded: str | None = None
        self.degraded_problem: str | None = None  # a store problem: alerts go out of store
        self._retry_every: float | None = None  # set while degraded by a full/read-only disk
        self._next_retry = 0.0
        self._snapshot_ok = True
        self.scheduler: BackgroundScheduler | None = None
        self._stop_requested = False
        self._reload_requested = False
        self._signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._writer = threading.Lock()
        self._plans_lock = threading.Lock()
        self._keys: dict[str, Hashable] = {}
        self._poll_grace = plan.MIN_GRACE
        self._running = 0
        self._idle = threading.Condition()
        self._inventory_version = 0
        self._last_status = ""
        self._stuck_reported = False

    # ------------------------------------------------------------------ life cycle
    def run(self) -> int:
        """Lock, recover, schedule, serve signals until asked to stop; the exit code."""
        lock = DaemonLock(self.live.state_path, self.site)
        try:
            lock.acquire()
        except DaemonRunningError as exc:
            log.error("%s", exc)
            return EXIT_BUSY
        try:
            clean = self._run_locked()
        finally:
            lock.release()
            self.notifier.close()
        if not clean:
            log.error(
                "[%s] a job did not stop within %.0fs; exiting anyway (a git commit is one "
                "atomic ref update and the database rolls back: nothing is half-written)",
                self.site,
                STOP_GRACE,
            )
            logging.shutdown()
            os._exit(EXIT_OK)
        return EXIT_OK

    def _run_locked(self) -> bool:
        self._install_signals()
        self.states.daemon_started(self.config_path, utcnow())
        log.info(
            "[%s] daemon starting: pid %d, settings %s, %d device(s)",
            self.site,
            os.getpid(),
            self.config_path,
            self.device_count,
        )
        self._snapshot_at_start()
        self.notifier.status("starting: recovery and integrity checks")
        self._in_background("start-up recovery", self._recover)
        if not self._stop_requested:
            self._start_scheduler()
            mode = "degraded" if self.degraded else "running"
            self.states.set_mode(mode, self.degraded)
            self.notifier.ready(self._status_line())
            log.info("[%s] daemon ready (%s): %s", self.site, mode, self._jobs_line())
            self._main_loop()
        return self._shutdown()

    def _main_loop(self) -> None:
        while True:
            try:
                signum: int | None = self._signals.get(timeout=self._tick())
            except queue.Empty:
                signum = None
            if signum is not None:
                self._take_signal(signum)
            if self._stop_requested:
                return
            if self._reload_requested:
                self._reload_requested = False
                self.reload()
            elif self._retry_due():
                self._recheck_integrity(automatic=True)
            self._heartbeat()

    def _shutdown(self) -> bool:
        """Stop scheduling, cut device sessions, wait for the running jobs; True if they ended."""
        self.stop_event.set()
        self.notifier.stopping("stopping: letting the running job end")
        cut = abort_all()
        if cut:
            log.info("[%s] stopping: %d device session(s) cut", self.site, cut)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        idle = self._wait_idle(STOP_GRACE)
        self.states.set_mode("stopped")
        log.info("[%s] daemon stopped", self.site)
        return idle

    # ------------------------------------------------------------------ signals
    def _install_signals(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals.put(signum)  # SimpleQueue.put is safe in a signal handler

    def _take_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGHUP:
            self._reload_requested = True
            return
        if not self._stop_requested:
            log.info("[%s] %s received: stopping", self.site, name)
        self._stop_requested = True
        self.stop_event.set()

    def _drain_signals(self) -> None:
        while True:
            try:
                self._take_signal(self._signals.get_nowait())
            except queue.Empty:
                return

    def _tick(self) -> float:
        watchdog = self.notifier.watchdog
        return min(TICK, watchdog / 4) if watchdog else TICK

    def _in_background(self, what: str, work: Callable[[], T]) -> T | None:
        """Run ``work`` in a thread while this one keeps pinging systemd and taking signals."""
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = work()
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=target, name=what, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(self._tick())
            self._drain_signals()
            if self.notifier.ping_due():
                self.notifier.ping()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ------------------------------------------------------------------ health
    def _heartbeat(self) -> None:
        """Every tick: next run times, the systemd watchdog (only while healthy), STATUS."""
        self._record_next_runs()
        if self._scheduler_alive() and not self._stuck() and self.notifier.ping_due():
            self.notifier.ping()
        status = self._status_line()
        if status != self._last_status:
            self.notifier.status(status)
            self._last_status = status

    def _scheduler_alive(self) -> bool:
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return False
        thread = getattr(scheduler, "_thread", None)  # BackgroundScheduler's loop thread
        return thread is None or bool(thread.is_alive())

    def _stuck_limit(self) -> float:
        collect = self.settings.collect
        rounds = math.ceil(max(1, self.device_count) / collect.workers)
        return collect.timeout * rounds + SITE_BUSY_WAIT + 600

    def _stuck(self) -> bool:
        """A poll running far past any time limit: stop the watchdog so systemd restarts us."""
        since = self.states.get(plan.POLL).running_since
        stuck = since is not None and (utcnow() - since).total_seconds() > self._stuck_limit()
        if stuck and not self._stuck_reported:
            log.error(
                "[%s] the poll has been running since %s, past every time limit: watchdog "
                "pings stop so that systemd restarts the daemon",
                self.site,
                self._local(since),
            )
        self._stuck_reported = stuck
        return stuck

    def _local(self, when: datetime | None) -> str:
        return local_time(when, self.live.site.timezone, empty="never")

    def _next_run(self, job_id: str) -> datetime | None:
        if self.scheduler is None:
            return None
        job = self.scheduler.get_job(job_id)
        return getattr(job, "next_run_time", None) if job else None

    def _status_line(self) -> str:
        """One line for ``systemctl status``."""
        if self.degraded:
            every = self._retry_every
            retry = f"; retrying every {format_duration(every)}" if every else ""
            return f"DEGRADED, writes refused: {self.degraded}{retry}"
        poll = self.states.get(plan.POLL)
        parts = [f"{self.device_count} device(s)", f"last poll {self._local(poll.last_success_at)}"]
        if poll.consecutive_failures:
            parts.append(f"{poll.consecutive_failures} failed poll(s): {poll.last_error}")
        if poll.running_since:
            parts.append("polling now")
        parts.append(f"next {self._local(self._next_run(plan.POLL))}")
        return "watching: " + ", ".join(parts)

    def _jobs_line(self) -> str:
        if self.scheduler is None:
            return "no job"
        return ", ".join(
            f"{job.id} at {self._local(job.next_run_time)}" for job in self.scheduler.get_jobs()
        )

    def _record_next_runs(self) -> None:
        if self.scheduler is None:
            return
        self.states.set_next_runs({job.id: job.next_run_time for job in self.scheduler.get_jobs()})

    # ------------------------------------------------------------------ recovery, degraded
    @contextmanager
    def _site_lock_waiting(self, purpose: str) -> Iterator[bool]:
        """The site lock, waiting for a manual command to finish; False if stopping first."""
        with ExitStack() as stack:
            waited = 0.0
            while True:
                try:
                    stack.enter_context(site_lock(self.live.state_path, purpose))
                    break
                except SiteBusyError as exc:
                    if waited % 60 == 0:
                        log.info("[%s] %s: %s; waiting", self.site, purpose, exc)
                    if self.stop_event.wait(1.0):
                        yield False
                        return
                    waited += 1
            yield True

    def _recover(self) -> None:
        """Start-up recovery under the site lock; degraded mode if a store is unsound, the state
        is lost or the disk refuses writes (the last two retried every ``retry_every``)."""
        try:
            ensure_state(self.live)
            with self._site_lock_waiting("daemon start-up recovery") as got:
                if not got:
                    return
                report = startup_recovery(self.live, self.stop_event)
            if not self._snapshot_ok:
                self._snapshot_inventory(self.live, fresh=True)
                self._snapshot_ok = True
        except Exception as exc:  # whatever breaks here, never write on an unchecked store
            if self.stop_event.is_set():
                return
            self._degrade_on(exc, "start-up recovery failed")
            return
        for note in report.notes:
            log.info("[%s] recovery: %s", self.site, note)
        if report.degraded_reason:
            self._enter_degraded(
                report.degraded_reason, problem="corrupt" if report.store_broken else None
            )
            return
        removed = f", removed {', '.join(report.removed)}" if report.removed else ""
        self.states.succeeded(INTEGRITY_JOB, utcnow(), f"git fsck and database check ok{removed}")
        log.info("[%s] integrity checks passed%s", self.site, removed)

    def _degrade_on(self, exc: BaseException, context: str) -> None:
        """Degraded mode for an error: said plainly when it is a full disk or a broken store."""
        clear = exc if store_problem(exc) else translate(exc, self.live)
        if clear is None:
            log.error("[%s] %s", self.site, context, exc_info=exc)
            self._enter_degraded(f"{context}: {one_line(exc)}")
            return
        self._enter_degraded(one_line(clear), problem=store_problem(clear))

    def _enter_degraded(self, reason: str, alert: bool = True, problem: str | None = None) -> None:
        reason, now = scrub(reason), utcnow()  # to jobs.json, the journal and the alert
        self.degraded, self.degraded_problem = reason, problem
        self._retry_every = self.live.schedule.retry_seconds if problem in RETRYABLE else None
        self._next_retry = time.monotonic() + (self._retry_every or 0)
        self.states.set_mode("degraded", reason)
        failing_since = self.states.failed(INTEGRITY_JOB, now, reason)
        if failing_since != now:  # the same incident, seen again at a retry: said once
            log.debug("[%s] still degraded: %s", self.site, reason)
            return
        retry = (
            f"retrying every {format_duration(self._retry_every)}"
            if self._retry_every
            else "then reload (SIGHUP, systemctl reload) or restart the daemon"
        )
        log.error(
            "[%s] DEGRADED: %s. Polls and writes are refused until it is repaired; %s",
            self.site,
            reason,
            retry,
        )
        if alert:
            self._alert_degraded(reason, problem, failing_since, now)

    def _alert_degraded(
        self, reason: str, problem: str | None, failing_since: datetime, now: datetime
    ) -> None:
        """One alert per incident: through the outbox when the store is sound, else straight
        to the channels (the outbox is in the broken store)."""
        if problem is None:
            if raise_job_failed(self.live, INTEGRITY_JOB, reason, failing_since, now):
                return
            problem = "other"  # the database refused the event: tell IT another way
        payload = {
            "problem": problem,
            "error": reason[:2000],
            "failing_since": failing_since.isoformat(timespec="seconds"),
            "retry_every": format_duration(self._retry_every) if self._retry_every else None,
        }
        key = f"{INTEGRITY_JOB}-{failing_since:%Y%m%dT%H%M%S%f}"
        outcomes = send_out_of_store(self.live, key, payload, now)
        log.info("[%s] out-of-store alert for %s: %s", self.site, problem, outcomes or "no channel")

    def _retry_due(self) -> bool:
        return bool(self.degraded and self._retry_every and time.monotonic() >= self._next_retry)

    def _recheck_integrity(self, automatic: bool = False) -> None:
        """After a reload in degraded mode (the operator may have repaired the stores), or at
        the automatic retry of a full or read-only disk."""
        level = logging.DEBUG if automatic else logging.INFO
        log.log(level, "[%s] degraded: checking the stores again", self.site)
        self._next_retry = time.monotonic() + (self._retry_every or 0)

        def recheck() -> None:
            with self._write_turn() as turn:
                if turn:
                    self.degraded = None
                    self._recover()

        self._in_background("integrity re-check", recheck)
        if not self.degraded:
            self.degraded_problem, self._retry_every = None, None
            self.states.set_mode("running")
            log.info("[%s] stores sound again: leaving degraded mode", self.site)
            self.notifier.status(self._status_line())

    # ------------------------------------------------------------------ inventory copy
    def _snapshot_at_start(self) -> None:
        """The inventory copy; on a full disk the jobs read the live inventory until the
        retry that finds space again makes the copy."""
        try:
            self._snapshot_inventory(self.live, fresh=True)
        except OSError as exc:
            self._snapshot_ok = False
            self.settings = self.live
            log.warning("[%s] cannot copy the inventory into %s: %s", self.site,
                        self.live.state_path / SNAPSHOT_DIR, exc)  # fmt: skip

    def _snapshot_inventory(self, live: Settings, fresh: bool = False) -> None:
        """Copy the validated inventory where only the daemon reads it; point jobs at it."""
        base = live.state_path / SNAPSHOT_DIR
        if fresh:
            shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._inventory_version += 1
        target = base / f"inventory-{self._inventory_version}"
        target.mkdir(mode=0o700)
        for name in INVENTORY_FILES:
            source = live.inventory_path / name
            if source.exists():
                fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as copy:
                    copy.write(source.read_bytes())
        inventory = InventorySettings(path=target, credentials=live.credentials_path)
        self.settings = live.model_copy(update={"inventory": inventory})
        for old in base.glob("inventory-*"):
            if old.name.split("-")[-1].isdigit() and int(old.name.split("-")[-1]) < (
                self._inventory_version - 1
            ):
                shutil.rmtree(old, ignore_errors=True)

    # ------------------------------------------------------------------ reload
    def reload(self) -> None:
        """SIGHUP: validate the settings file and inventory, then apply them, or keep the old."""
        self.notifier.reloading()
        log.info("[%s] SIGHUP: reloading %s", self.site, self.config_path)
        try:
            new, count = validate(self.config_path)
        except PrismeDriftError as exc:
            log.error(
                "[%s] reload refused, the running configuration stays: %s", self.site, one_line(exc)
            )
            self.notifier.ready(self._status_line())
            return
        if new.site.name != self.site or new.state_path != self.live.state_path:
            log.error(
                "[%s] reload refused, the running configuration stays: the site name or the "
                "state folder changed (%s, %s); restart the daemon for that",
                self.site,
                new.site.name,
                new.state_path,
            )
            self.notifier.ready(self._status_line())
            return
        self.live, self.device_count = new, count
        self._snapshot_inventory(new)
        self._apply_plans()
        if self.degraded:
            self._recheck_integrity()
        self._refresh_windows()
        log.info(
            "[%s] configuration reloaded: %d device(s), %s", self.site, count, self._poll_words()
        )
        self.notifier.ready(self._status_line())

    def _poll_words(self) -> str:
        seconds = self.live.schedule.poll_seconds
        if seconds is None:
            return f"polls at cron '{self.live.schedule.poll_cron}'"
        return f"a poll every {format_duration(seconds)}"

    # ------------------------------------------------------------------ scheduling
    def _start_scheduler(self, paused: bool = False) -> None:
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=ZoneInfo(self.live.site.timezone),
        )
        self.scheduler.add_listener(
            self._on_event,
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
        )
        self._apply_plans()
        self.scheduler.start(paused=paused)

    def _apply_plans(self) -> None:
        """(Re)schedule the fixed jobs whose trigger changed (all of them at start)."""
        now = utcnow()
        last = {job_id: self.states.get(job_id).last_success_at for job_id in plan.FIXED_JOBS}
        plans = plan.fixed_plans(self.live, last, self.states.daemon.first_started_at, now)
        for job in plans:
            if job.job_id == plan.POLL:
                self._poll_grace = job.grace
            with self._plans_lock:
                if self._keys.get(job.job_id) != job.key:
                    self._add(job)
                    if job.catch_up:
                        log.info(
                            "[%s] %s: last success %s, overdue: runs at %s",
                            self.site,
                            job.job_id,
                            self._local(last.get(job.job_id)),
                            self._local(job.first_run),
                        )

    def _add(self, job: plan.JobPlan) -> None:
        assert self.scheduler is not None
        extra: dict[str, Any] = {}
        if job.first_run is not None:
            extra["next_run_time"] = job.first_run
        self.scheduler.add_job(
            self._run_job,
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

    def _kick(self, job_id: str) -> None:
        """Run a job as soon as possible (the outbox after a poll)."""
        if self.scheduler is None or self.stop_event.is_set():
            return
        with suppress(JobLookupError):
            self.scheduler.modify_job(job_id, next_run_time=utcnow())

    # ------------------------------------------------------------------ job running
    def _run_job(self, job_id: str, kind: str, argument: str | None) -> JobResult:
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

    def _body(self, kind: str, argument: str | None) -> JobResult:  # noqa: PLR0911 (dispatch)
        if kind == plan.POLL:
            return self._poll("daemon")
        if kind == "window":
            return self._poll(f"window-{argument}")
        if kind == plan.OUTBOX:
            return self._outbox()
        if kind == plan.BACKUP:
            return self._backup()
        if kind == plan.GIT:
            return self._git_maintenance()
        if kind == plan.WINDOWS:
            return self._refresh_windows()
        if kind == plan.MONTHLY:
            return JobResult(*monthly_report_job(self.settings, utcnow()))
        raise PrismeDriftError(f"unknown job kind {kind!r}", site=self.site)

    def _wait_idle(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, self._tick()))
                if self.notifier.ping_due():
                    self.notifier.ping()
        return True

    @contextmanager
    def _write_turn(self) -> Iterator[bool]:
        """The daemon's writer lock (one site writer at a time); False if stopping first."""
        while not self._writer.acquire(timeout=0.5):
            if self.stop_event.is_set():
                yield False
                return
        try:
            yield True
        finally:
            self._writer.release()

    # ------------------------------------------------------------------ job bodies
    def _poll(self, trigger: str) -> JobResult:
        from prisme_drift.poll import PollCancelled

        if self.degraded:
            return JobResult("refused", f"degraded mode: {self.degraded}")
        settings = self.settings
        try:
            with self._write_turn() as turn:
                report = self._poll_when_site_free(settings, trigger) if turn else None
        except PollCancelled:
            return JobResult("cancelled", "cancelled at shutdown after collecting; nothing written")
        except PrismeDriftError as exc:
            if store_problem(exc) is None:
                raise
            self._enter_degraded(one_line(exc), problem=store_problem(exc))
            return JobResult("refused", f"degraded mode: {self.degraded}")
        if report is None:
            return JobResult("skipped", "the daemon is stopping")
        self._kick(plan.OUTBOX)
        return JobResult("ok", describe_report(report))

    def _poll_when_site_free(self, settings: Settings, trigger: str) -> PollReport | None:
        """``run_poll``, waiting while a manual command holds the site lock."""
        from prisme_drift.poll import run_poll

        waited = 0.0
        while True:
            try:
                return run_poll(settings, trigger=trigger, deliver=False, cancel=self.stop_event)
            except SiteBusyError as exc:
                if waited >= SITE_BUSY_WAIT:
                    raise
                if waited == 0:
                    log.info("[%s] %s; the poll waits for it", self.site, exc)
                if self.stop_event.wait(2.0):
                    return None
                waited += 2.0

    def _outbox(self) -> JobResult:
        """Spooled out-of-store alerts first, then the outbox unless its store is unusable."""
        drained = drain_spool(self.settings)
        if self.degraded and self.degraded_problem:
            note = f"the outbox is in the unusable store; {drained} spooled alert(s) sent"
            return JobResult("skipped", note, quiet=not drained)
        line, attempted = send_outbox(self.settings)
        return JobResult("ok", line, quiet=not attempted)

    def _backup(self) -> JobResult:
        if self.degraded:
            return JobResult("refused", f"degraded mode: {self.degraded}")
        database = sqlite_file(self.settings.database_url)
        if database is None:
            log.info(
                "[%s] maintenance-backup: the state database is not SQLite; back it up with "
                "its own tools (pg_dump); skipped",
                self.site,
            )
            return JobResult("skipped", "not SQLite")
        if not database.exists():
            return JobResult("skipped", f"no database yet at {database}")
        keep = self.settings.schedule.backups_keep
        folder = self.settings.state_path / BACKUP_DIR
        path = backup_sqlite(database, folder, keep, utcnow())
        size = path.stat().st_size // 1024
        return JobResult("ok", f"backup {path} ({size} KiB), keeping the {keep} newest")

    def _git_maintenance(self) -> JobResult:
        if self.degraded:
            return JobResult("refused", f"degraded mode: {self.degraded}")
        git_dir = self.settings.baseline_path
        with self._write_turn() as turn, self._site_lock_waiting("git maintenance") as locked:
            if not (turn and locked):
                return JobResult("skipped", "the daemon is stopping")
            note = git_gc(git_dir, self.stop_event)
            problem = git_fsck(git_dir, self.stop_event)
        if problem:
            self._enter_degraded(problem, alert=False)  # the job's own failure alerts
            raise MaintenanceError(problem, site=self.site)
        return JobResult("ok", f"{note}; git fsck ok")

    def _refresh_windows(self) -> JobResult:
        """Re-read the tickets; one poll job per approved window edge within two days."""
        from prisme_drift.authorize.service import all_tickets
        from prisme_drift.authorize.verdicts import upcoming_windows

        now = utcnow()
        edges = upcoming_windows(all_tickets(self.live), now, plan.WINDOW_HORIZON)
        wanted = plan.window_plans(edges, self._poll_grace)
        added, removed = self._sync_windows(wanted)
        keep = set(plan.FIXED_JOBS) | {INTEGRITY_JOB} | set(wanted)
        self.states.prune(keep, now - JOB_STATE_TTL)
        for job_id in added:
            log.info(
                "[%s] %s planned at %s", self.site, job_id, self._local(self._next_run(job_id))
            )
        for job_id in removed:
            log.info("[%s] %s unplanned (ticket changed or withdrawn)", self.site, job_id)
        note = f"{len(wanted)} window snapshot(s) planned"
        return JobResult("ok", note, quiet=not (added or removed))

    def _sync_windows(self, wanted: dict[str, plan.JobPlan]) -> tuple[list[str], list[str]]:
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

    # ------------------------------------------------------------------ events
    def _on_event(self, event: Any) -> None:
        """APScheduler listener: executed, error, missed, still running."""
        job_id, now = str(event.job_id), utcnow()
        if event.code == EVENT_JOB_EXECUTED:
            self._on_executed(job_id, now, event.retval)
        elif event.code == EVENT_JOB_ERROR:
            if not isinstance(event.exception, PrismeDriftError):
                log.error("[%s] job %s: %s", self.site, job_id, event.traceback or "")
            self._on_failure(job_id, now, one_line(event.exception))
        elif event.code == EVENT_JOB_MISSED:
            when = self._local(event.scheduled_run_time)
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
        self._record_next_runs()

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
        error = scrub(error)  # it goes to jobs.json, the journal and the job_failed alert
        failing_since = self.states.failed(job_id, now, error)
        log.error("[%s] job %s failed: %s", self.site, job_id, error)
        if failing_since == now:  # first failure of a streak: one alert per streak
            raise_job_failed(self.live, job_id, error, failing_since, now)


# ---------------------------------------------------------------------- logging, entry point


class JournalFormatter(logging.Formatter):
    """``<3>ERROR prisme_drift.daemon.service: [site] ...``: journald reads the ``<N>`` prefix
    as the syslog priority (only added when stderr is the journal)."""

    PRIORITIES: ClassVar[dict[int, int]] = {
        logging.CRITICAL: 2,
        logging.ERROR: 3,
        logging.WARNING: 4,
        logging.INFO: 6,
        logging.DEBUG: 7,
    }

    def __init__(self, journal: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.journal:
            return text
        priority = self.PRIORITIES.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def setup_logging(verbose: int) -> None:
    """INFO from prisme-drift by default (a daemon says what it does), journald priorities."""
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JournalFormatter(journal))
    guard_handlers()  # no device output, no secret in the journal, at any verbosity
    logging.getLogger("prisme_drift").setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # the listener reports job errors itself, with the site and job named
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)


def run_daemon(config_path: Path) -> int:
    """``prisme-drift daemon``: validate, then run until SIGTERM; the exit code."""
    settings, count = validate(config_path)
    return Daemon(config_path, settings, count).run()
