"""Each daemon job's record and the daemon's own, in the database with the rest of the state.

Tables ``daemon_state`` (one row per site) and ``job_states`` (one row per site and job), from
revision 0005. Before it, the daemon kept them in ``state/jobs.json``: :func:`read_jobs_file`
reads such a file (tolerantly) for the one-time import at the daemon's start, and ``status``
reads it while it has not been imported yet.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import DaemonRecord, JobRecord
from prisme_drift.timefmt import as_utc, iso, parse_iso

log = logging.getLogger(__name__)

JOBS_FILE = "jobs.json"  # the pre-0005 file, renamed JOBS_FILE + IMPORTED once imported
IMPORTED = ".imported"
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


def read_jobs_file(path: Path, site: str) -> Snapshot:
    """A ``jobs.json`` file's content; an empty snapshot if it is missing or unreadable (logged)."""
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


def load_snapshot(session: Session, site: str) -> Snapshot | None:
    """The site's records in the database; None when there are none."""
    daemon = session.get(DaemonRecord, site)
    rows = session.scalars(select(JobRecord).where(JobRecord.site == site)).all()
    if daemon is None and not rows:
        return None
    info = DaemonInfo()
    if daemon is not None:
        info = DaemonInfo(**{f.name: getattr(daemon, f.name) for f in fields(DaemonInfo)})
    jobs = {
        row.job_id: JobState(**{f.name: getattr(row, f.name) for f in fields(JobState)})
        for row in rows
    }
    return Snapshot(site=site, daemon=info, jobs=jobs)


def save_snapshot(session: Session, snapshot: Snapshot) -> None:
    """Replace the site's records by ``snapshot`` (in the caller's transaction)."""
    site = snapshot.site
    session.execute(delete(JobRecord).where(JobRecord.site == site))
    session.merge(DaemonRecord(site=site, **asdict(snapshot.daemon)))
    session.add_all(
        JobRecord(site=site, job_id=job_id, **asdict(job))
        for job_id, job in sorted(snapshot.jobs.items())
    )


def write_snapshot(database_url: str, snapshot: Snapshot) -> None:
    """Replace the site's records in the database at ``database_url``, in one transaction."""
    with session_factory(shared_engine(database_url)).begin() as session:
        save_snapshot(session, snapshot)


def read_site_snapshot(session: Session, state_dir: Path, site: str) -> Snapshot:
    """What the site's daemon last recorded: its ``jobs.json`` while not imported yet (a site
    upgraded, its daemon not restarted since), else the database's records."""
    legacy = state_dir / JOBS_FILE
    if legacy.exists():
        return read_jobs_file(legacy, site)
    return load_snapshot(session, site) or Snapshot(site)
