"""Our own record of every daemon job, in ``state/jobs.json``, replaced atomically.

APScheduler's memory job store forgets everything at exit; this file remembers, per job id,
when it last ran, succeeded and failed, with what error, and when it runs next. The daemon uses
it for the catch-up at start and for ``job_failed`` dedupe (one alert per failure streak);
``prisme-drift status`` shows it. A write goes to a temporary file, is fsynced, then renamed
over the old one: a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from prisme_drift.timefmt import as_utc, iso, parse_iso, utcnow

log = logging.getLogger(__name__)

JOBS_FILE = "jobs.json"
VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return iso(as_utc(value), timespec="seconds") if value else None


def _parse(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


_TIMES = (
    "last_started_at",
    "last_success_at",
    "last_failure_at",
    "next_run_at",
    "running_since",
    "failing_since",
)


@dataclass
class JobState:
    """What we know of one job. ``failing_since`` is the start of the current failure streak."""

    last_started_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    last_outcome: str | None = None
    last_note: str | None = None
    last_duration_s: float | None = None
    next_run_at: datetime | None = None
    running_since: datetime | None = None
    failing_since: datetime | None = None
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (ISO times)."""
        data = asdict(self)
        for key in _TIMES:
            data[key] = _iso(getattr(self, key))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        """Tolerant reading: unknown keys are ignored, bad values become defaults."""
        state = cls()
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in _TIMES:
                setattr(state, f.name, _parse(value))
            elif f.name in ("runs", "failures", "consecutive_failures"):
                setattr(state, f.name, value if isinstance(value, int) else 0)
            elif f.name == "last_duration_s":
                setattr(state, f.name, float(value) if isinstance(value, int | float) else None)
            else:
                setattr(state, f.name, value if isinstance(value, str) else None)
        return state


@dataclass
class DaemonInfo:
    """The daemon as a whole: who runs, since when, in which mode."""

    pid: int | None = None
    started_at: datetime | None = None
    first_started_at: datetime | None = None
    stopped_at: datetime | None = None
    mode: str = "stopped"  # starting | running | degraded | stopped
    degraded_reason: str | None = None
    settings: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "first_started_at", "stopped_at"):
            data[key] = _iso(getattr(self, key))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DaemonInfo:
        pid = data.get("pid")
        return cls(
            pid=pid if isinstance(pid, int) else None,
            started_at=_parse(data.get("started_at")),
            first_started_at=_parse(data.get("first_started_at")),
            stopped_at=_parse(data.get("stopped_at")),
            mode=str(data.get("mode") or "stopped"),
            degraded_reason=data.get("degraded_reason") or None,
            settings=data.get("settings") or None,
        )


@dataclass
class Snapshot:
    """The whole file's content."""

    site: str
    daemon: DaemonInfo = field(default_factory=DaemonInfo)
    jobs: dict[str, JobState] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "site": self.site,
            "daemon": self.daemon.as_json(),
            "jobs": {name: job.as_json() for name, job in sorted(self.jobs.items())},
        }


def read_snapshot(path: Path, site: str) -> Snapshot:
    """The file's content; an empty snapshot if it is missing or unreadable (logged)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Snapshot(site)
    except (OSError, ValueError) as exc:
        log.warning("[%s] %s is unreadable (%s); starting with no job history", site, path, exc)
        return Snapshot(site)
    if not isinstance(raw, dict):
        return Snapshot(site)
    jobs = raw.get("jobs") if isinstance(raw.get("jobs"), dict) else {}
    daemon = raw.get("daemon") if isinstance(raw.get("daemon"), dict) else {}
    return Snapshot(
        site=site,
        daemon=DaemonInfo.from_json(daemon or {}),
        jobs={
            str(k): JobState.from_json(v) for k, v in (jobs or {}).items() if isinstance(v, dict)
        },
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text``: temporary file, fsync, rename, fsync of the folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class JobStateStore:
    """Thread-safe job states, written through to ``state/jobs.json`` on every change."""

    def __init__(self, state_dir: Path, site: str) -> None:
        self.path = state_dir / JOBS_FILE
        self.site = site
        self._lock = threading.Lock()
        self._data = read_snapshot(self.path, site)
        self._unwritable = False

    # -- reading ----------------------------------------------------------------------------
    def get(self, job_id: str) -> JobState:
        """A copy of a job's state (an empty one for a job never seen)."""
        with self._lock:
            return JobState(**vars(self._data.jobs.get(job_id, JobState())))

    @property
    def daemon(self) -> DaemonInfo:
        with self._lock:
            return DaemonInfo(**vars(self._data.daemon))

    def snapshot(self) -> dict[str, Any]:
        """The file's content as JSON data."""
        with self._lock:
            return self._data.as_json()

    # -- writing ----------------------------------------------------------------------------
    def _save(self) -> None:
        try:
            write_atomically(self.path, json.dumps(self._data.as_json(), indent=2) + "\n")
        except OSError as exc:  # said once until a write succeeds again (disk full)
            if not self._unwritable:
                log.error("[%s] cannot write %s: %s", self.site, self.path, exc)
            self._unwritable = True
            return
        if self._unwritable:
            log.info("[%s] %s is written again", self.site, self.path)
        self._unwritable = False

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


def daemon_status(state_dir: Path, site: str) -> dict[str, Any]:
    """What ``prisme-drift status`` shows of the daemon: mode, pid if running, every job."""
    from prisme_drift.sitelock import running_daemon_pid

    data = read_snapshot(state_dir / JOBS_FILE, site).as_json()
    pid = running_daemon_pid(state_dir)
    daemon = data["daemon"]
    daemon["running"] = pid is not None
    if pid is None and daemon.get("mode") not in (None, "stopped"):
        daemon["mode"] = "dead"  # the file says running, but no process holds the lock
    return {"daemon": daemon, "jobs": data["jobs"]}
