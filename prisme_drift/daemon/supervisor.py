"""``prisme-drift daemon``: the supervisor (life cycle, signals, systemd, reload, degraded mode).

Threads: the main thread owns signals, the systemd watchdog and reloads; APScheduler's thread
fires the jobs (``daemon.jobs``) into a small pool (``daemon.scheduler``).

- SIGTERM / SIGINT: stop scheduling, cut device sessions (``collect.session.abort_all``), let the
  running poll end: cancelled before its first write if it was still collecting, or finished if
  it was already writing (a git commit is published by one compare-and-swap). Exit 0.
- SIGHUP: re-read the settings and the inventory; a bad file is refused with one log line and
  the running configuration stays. The inventory is copied into ``state/daemon/`` once
  validated (``daemon.snapshot``), so an edit without SIGHUP never reaches a poll half-made.
- Start: daemon lock, start-up recovery (see ``recovery``), catch-up, READY=1. A store that
  fails its integrity check puts the daemon in degraded mode: alert, no polls, no writes.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from apscheduler.schedulers.background import BackgroundScheduler

from prisme_drift.collect.session import abort_all
from prisme_drift.config import Settings, load_settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.daemon.alerts import INTEGRITY_JOB, alert_degraded
from prisme_drift.daemon.jobs import (
    RETRYABLE,
    SITE_BUSY_WAIT,
    JobBodies,
    site_lock_waiting,
    store_problem,
    write_turn,
)
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.daemon.scheduler import JobResult, JobScheduler, one_line
from prisme_drift.daemon.sdnotify import SystemdNotifier
from prisme_drift.daemon.signals import SignalInbox
from prisme_drift.daemon.snapshot import InventorySnapshots
from prisme_drift.durations import format_duration
from prisme_drift.errors import PrismeDriftError
from prisme_drift.recovery import startup_recovery, translate
from prisme_drift.scrub import scrub
from prisme_drift.sitelock import DaemonLock, DaemonRunningError
from prisme_drift.statedir import ensure_state
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_OK, EXIT_BUSY = 0, 6  # the CLI's table (prisme_drift/cli/app.py)
STOP_GRACE = 25.0  # seconds given to a running job at SIGTERM (systemd waits 30)
TICK = 1.0


def validate(path: Path) -> tuple[Settings, int]:
    """Settings and inventory as a poll loads them, or ConfigError naming every problem;
    (settings, device count)."""
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
        self.states = JobStateStore(settings.database_url, settings.state_path, self.site)
        self.stop_event = threading.Event()
        self.writer = threading.Lock()  # one site writer of this daemon at a time
        self.degraded: str | None = None
        self.degraded_problem: str | None = None  # a store problem: alerts go out of store
        self._retry_every: float | None = None  # set while degraded by a full/read-only disk
        self._next_retry = 0.0
        self._snapshots = InventorySnapshots()
        self._snapshot_ok = True
        self.bodies = JobBodies(self)
        self.jobs = JobScheduler(lambda: self.live, self.states, self.stop_event, self.bodies.run)
        self._signals = SignalInbox(self.site, self.stop_event)
        self._last_status = ""
        self._stuck_reported = False

    # the scheduler's parts under the names the daemon's tests know
    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The APScheduler instance (None before start)."""
        return self.jobs.scheduler

    def _start_scheduler(self, paused: bool = False) -> None:
        self.jobs.start(paused)

    def _refresh_windows(self) -> JobResult:
        return self.bodies.refresh_windows()

    def _on_event(self, event: Any) -> None:
        self.jobs.on_event(event)

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
        self._signals.install()
        self.states.daemon_started(self.config_path, utcnow())
        log.info(
            "[%s] daemon starting: pid %d, settings %s, %d device(s)",
            self.site,
            os.getpid(),
            self.config_path,
            self.device_count,
        )
        first = self._snapshots.take_at_start(self.live)
        self._snapshot_ok, self.settings = first is not None, first or self.live
        self.notifier.status("starting: recovery and integrity checks")
        self._in_background("start-up recovery", self._recover)
        if not self._signals.stop_requested:
            self.jobs.start()
            mode = "degraded" if self.degraded else "running"
            self.states.set_mode(mode, self.degraded)
            self.notifier.ready(self._status_line())
            log.info("[%s] daemon ready (%s): %s", self.site, mode, self.jobs.jobs_line())
            self._main_loop()
        return self._shutdown()

    def _main_loop(self) -> None:
        while True:
            self._signals.wait(self._tick())
            if self._signals.stop_requested:
                return
            if self._signals.reload_requested:
                self._signals.reload_requested = False
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
        self.jobs.shutdown()
        idle = self.jobs.wait_idle(STOP_GRACE, self._tick(), self._ping)
        self.states.set_mode("stopped")
        self.states.close()  # the last changes written, unless the store is unusable
        log.info("[%s] daemon stopped", self.site)
        return idle

    # ------------------------------------------------------------------ waiting
    def _tick(self) -> float:
        watchdog = self.notifier.watchdog
        return min(TICK, watchdog / 4) if watchdog else TICK

    def _ping(self) -> None:
        if self.notifier.ping_due():
            self.notifier.ping()

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
            self._signals.drain()
            self._ping()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ------------------------------------------------------------------ health
    def _heartbeat(self) -> None:
        """Every tick: next run times, the systemd watchdog (only while healthy), STATUS."""
        self.jobs.record_next_runs()
        if self.jobs.alive() and not self._stuck():
            self._ping()
        status = self._status_line()
        if status != self._last_status:
            self.notifier.status(status)
            self._last_status = status

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
                self.jobs.local(since),
            )
        self._stuck_reported = stuck
        return stuck

    def _status_line(self) -> str:
        """One line for ``systemctl status``."""
        if self.degraded:
            every = self._retry_every
            retry = f"; retrying every {format_duration(every)}" if every else ""
            return f"DEGRADED, writes refused: {self.degraded}{retry}"
        poll, local = self.states.get(plan.POLL), self.jobs.local
        parts = [f"{self.device_count} device(s)", f"last poll {local(poll.last_success_at)}"]
        if poll.consecutive_failures:
            parts.append(f"{poll.consecutive_failures} failed poll(s): {poll.last_error}")
        if poll.running_since:
            parts.append("polling now")
        parts.append(f"next {local(self.jobs.next_run(plan.POLL))}")
        return "watching: " + ", ".join(parts)

    # ------------------------------------------------------------------ recovery, degraded
    def _recover(self) -> None:
        """Start-up recovery under the site lock; degraded mode if a store is unsound, the state
        is lost or the disk refuses writes (the last two retried every ``retry_every``)."""
        try:
            ensure_state(self.live)
            with self._site_lock("daemon start-up recovery") as got:
                if not got:
                    return
                report = startup_recovery(self.live, self.stop_event)
            if not self._snapshot_ok:
                self.settings = self._snapshots.take(self.live, fresh=True)
                self._snapshot_ok = True
        except Exception as exc:  # whatever breaks here, never write on an unchecked store
            if self.stop_event.is_set():
                return
            self._degrade_on(exc, "start-up recovery failed")
            return
        if not report.store_broken:
            self.states.use_store()  # checked: the job state may be written there from now on
        for note in report.notes:
            log.info("[%s] recovery: %s", self.site, note)
        if report.degraded_reason:
            self.enter_degraded(
                report.degraded_reason, problem="corrupt" if report.store_broken else None
            )
            return
        removed = f", removed {', '.join(report.removed)}" if report.removed else ""
        self.states.succeeded(INTEGRITY_JOB, utcnow(), f"git fsck and database check ok{removed}")
        log.info("[%s] integrity checks passed%s", self.site, removed)

    def _site_lock(self, purpose: str) -> AbstractContextManager[bool]:
        return site_lock_waiting(self.live.state_path, self.site, purpose, self.stop_event)

    def _degrade_on(self, exc: BaseException, context: str) -> None:
        """Degraded mode for an error: said plainly when it is a full disk or a broken store."""
        clear = exc if store_problem(exc) else translate(exc, self.live)
        if clear is None:
            log.error("[%s] %s", self.site, context, exc_info=exc)
            self.enter_degraded(f"{context}: {one_line(exc)}")
            return
        self.enter_degraded(one_line(clear), problem=store_problem(clear))

    def enter_degraded(self, reason: str, alert: bool = True, problem: str | None = None) -> None:
        """Refuse polls and writes from now on; alert once per incident (``problem``: a store
        problem, alerted out of store)."""
        reason, now = scrub(reason), utcnow()  # to the job state, the journal and the alert
        self.degraded, self.degraded_problem = reason, problem
        if problem is not None:
            self.states.hold()  # the job state stays in memory while the store is unusable
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
            alert_degraded(self.live, reason, problem, failing_since, now, self._retry_every)

    def _retry_due(self) -> bool:
        return bool(self.degraded and self._retry_every and time.monotonic() >= self._next_retry)

    def _recheck_integrity(self, automatic: bool = False) -> None:
        """After a reload in degraded mode (the operator may have repaired the stores), or at
        the automatic retry of a full or read-only disk."""
        level = logging.DEBUG if automatic else logging.INFO
        log.log(level, "[%s] degraded: checking the stores again", self.site)
        self._next_retry = time.monotonic() + (self._retry_every or 0)

        def recheck() -> None:
            with write_turn(self.writer, self.stop_event) as turn:
                if turn:
                    self.degraded = None
                    self._recover()

        self._in_background("integrity re-check", recheck)
        if not self.degraded:
            self.degraded_problem, self._retry_every = None, None
            self.states.set_mode("running")
            log.info("[%s] stores sound again: leaving degraded mode", self.site)
            self.notifier.status(self._status_line())

    # ------------------------------------------------------------------ reload
    def reload(self) -> None:
        """SIGHUP: validate the settings file and inventory, then apply them, or keep the old."""
        self.notifier.reloading()
        log.info("[%s] SIGHUP: reloading %s", self.site, self.config_path)
        try:
            new, count = validate(self.config_path)
        except PrismeDriftError as exc:
            self._refuse_reload(one_line(exc))
            return
        if new.site.name != self.site or new.state_path != self.live.state_path:
            self._refuse_reload(
                f"the site name or the state folder changed ({new.site.name}, "
                f"{new.state_path}); restart the daemon for that"
            )
            return
        self.live, self.device_count = new, count
        self.settings = self._snapshots.take(new)
        self.jobs.apply_plans()
        if self.degraded:
            self._recheck_integrity()
        self.bodies.refresh_windows()
        log.info(
            "[%s] configuration reloaded: %d device(s), %s", self.site, count, plan.describe(new)
        )
        self.notifier.ready(self._status_line())

    def _refuse_reload(self, why: str) -> None:
        log.error("[%s] reload refused, the running configuration stays: %s", self.site, why)
        self.notifier.ready(self._status_line())


def run_daemon(config_path: Path) -> int:
    """``prisme-drift daemon``: validate, then run until SIGTERM; the exit code."""
    settings, count = validate(config_path)
    return Daemon(config_path, settings, count).run()
