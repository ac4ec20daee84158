"""The daemon's jobs as data: ids, triggers, misfire grace and the first run after a start.

Fixed ids (APScheduler's memory job store; nothing is pickled, nothing to lose):

==================== =============================================== ==========================
id                   what                                            when
==================== =============================================== ==========================
``poll``             poll every device                               ``poll_every`` / ``poll_cron``
``outbox``           deliver due notifications                       ``outbox_every`` (1 min)
``maintenance-backup`` SQLite online backup into ``state/backups/``  ``backup_cron`` (nightly)
``maintenance-git``  ``git gc`` then ``git fsck``                    ``git_maintenance_cron``
``window-snapshots`` re-read tickets, plan the window polls          every 5 min (or the poll
                                                                     interval when shorter)
``window-<t>-<edge>`` one extra poll at a ticket window's start/end  the edge's time
``monthly-report``   write (and email) last month's summary          ``[report] monthly_day``
                                                                     at ``monthly_time``
``fleet-sync``       copy what changed to the central database       ``[fleet] sync_every``
                     (only with a ``[fleet]`` section)
==================== =============================================== ==========================

Catch-up at start: a job whose last success is older than one period (interval jobs), or whose
cron time passed since its last success (cron jobs), runs at once. An interval poll that
succeeded recently runs at ``last success + interval``, not a full interval after the restart.
Misfire grace is at least one period: a late run (machine asleep, a long poll) is coalesced
into one, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from prisme_drift.authorize.verdicts import WindowEdge
from prisme_drift.config import Settings
from prisme_drift.durations import format_duration

POLL = "poll"
OUTBOX = "outbox"
BACKUP = "maintenance-backup"
GIT = "maintenance-git"
WINDOWS = "window-snapshots"
WINDOW_PREFIX = "window-"
MONTHLY = "monthly-report"
FLEET = "fleet-sync"
FIXED_JOBS = (POLL, OUTBOX, BACKUP, GIT, WINDOWS, MONTHLY)
#: Fixed jobs planned only when their settings section is there.
OPTIONAL_JOBS = (FLEET,)

MIN_GRACE = 60
WINDOW_REFRESH_MAX = 300.0
WINDOW_HORIZON = timedelta(days=2)
MAINTENANCE_DELAY = timedelta(seconds=30)  # a caught-up maintenance job lets the poll go first


@dataclass(frozen=True)
class JobPlan:
    """One job to (re)schedule. ``key`` changes when the trigger must be replaced."""

    job_id: str
    kind: str
    trigger: Any
    key: Hashable
    grace: int
    first_run: datetime | None = None
    argument: str | None = None
    catch_up: bool = False  # first_run is a catch-up of a missed or overdue run


def period_seconds(trigger: Any, now: datetime) -> float:
    """Seconds between two fire times of a trigger (its interval, or a cron trigger's gap)."""
    if isinstance(trigger, IntervalTrigger):
        return float(trigger.interval.total_seconds())
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        return float(MIN_GRACE)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    if second is None:
        return float(MIN_GRACE)
    return float((second - first).total_seconds())


def grace_for(trigger: Any, now: datetime) -> int:
    """Misfire grace: one period, and at least a minute."""
    return max(MIN_GRACE, int(period_seconds(trigger, now) + 0.999))


def missed_since(trigger: Any, since: datetime | None, now: datetime) -> bool:
    """Whether a fire time of a cron trigger fell between ``since`` and ``now``."""
    if since is None:
        return False
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    return fire is not None and fire <= now


def poll_trigger(settings: Settings, start: datetime) -> tuple[Any, Hashable]:
    """The poll trigger and its identity key."""
    tz = ZoneInfo(settings.site.timezone)
    seconds = settings.schedule.poll_seconds
    if seconds is None:
        expr = settings.schedule.poll_cron or ""
        return CronTrigger.from_crontab(expr, timezone=tz), ("cron", expr, str(tz))
    return IntervalTrigger(seconds=seconds, start_date=start, timezone=tz), ("every", seconds)


def describe(settings: Settings) -> str:
    """``a poll every 15m`` or ``polls at cron '0 * * * *'``, for the journal."""
    seconds = settings.schedule.poll_seconds
    if seconds is None:
        return f"polls at cron '{settings.schedule.poll_cron}'"
    return f"a poll every {format_duration(seconds)}"


def poll_plan(settings: Settings, last_success: datetime | None, now: datetime) -> JobPlan:
    """The poll job, with its catch-up: overdue -> now; else last success + one interval."""
    seconds = settings.schedule.poll_seconds
    if seconds is None:
        trigger, key = poll_trigger(settings, now)
        overdue = last_success is None or missed_since(trigger, last_success, now)
        first = now if overdue else None
        return JobPlan(POLL, POLL, trigger, key, grace_for(trigger, now), first, catch_up=overdue)
    due = now if last_success is None else max(now, last_success + timedelta(seconds=seconds))
    trigger, key = poll_trigger(settings, due)
    return JobPlan(POLL, POLL, trigger, key, grace_for(trigger, now), due, catch_up=due <= now)


def _every(job_id: str, seconds: float, tz: ZoneInfo, now: datetime) -> JobPlan:
    trigger = IntervalTrigger(seconds=seconds, start_date=now, timezone=tz)
    return JobPlan(job_id, job_id, trigger, ("every", seconds), grace_for(trigger, now), now)


def _cron(job_id: str, expr: str, tz: ZoneInfo, since: datetime | None, now: datetime) -> JobPlan:
    trigger = CronTrigger.from_crontab(expr, timezone=tz)
    missed = missed_since(trigger, since, now)
    first = now + MAINTENANCE_DELAY if missed else None
    key = ("cron", expr, str(tz))
    return JobPlan(job_id, job_id, trigger, key, grace_for(trigger, now), first, catch_up=missed)


def window_refresh_seconds(settings: Settings) -> float:
    """How often tickets are re-read: every 5 minutes, or every poll when polls are closer."""
    poll = settings.schedule.poll_seconds
    return min(WINDOW_REFRESH_MAX, poll) if poll else WINDOW_REFRESH_MAX


def fixed_plans(
    settings: Settings,
    last_success: dict[str, datetime | None],
    first_started: datetime | None,
    now: datetime,
) -> list[JobPlan]:
    """The fixed jobs, given each job's last success (for the catch-up)."""
    tz = ZoneInfo(settings.site.timezone)
    schedule = settings.schedule

    def since(job_id: str) -> datetime | None:
        return last_success.get(job_id) or first_started

    plans = [
        poll_plan(settings, last_success.get(POLL), now),
        _every(OUTBOX, schedule.outbox_seconds, tz, now),
        _cron(BACKUP, schedule.backup_cron, tz, since(BACKUP), now),
        _cron(GIT, schedule.git_maintenance_cron, tz, since(GIT), now),
        _every(WINDOWS, window_refresh_seconds(settings), tz, now),
        _cron(MONTHLY, monthly_crontab(settings), tz, since(MONTHLY), now),
    ]
    if settings.fleet is not None:
        plans.append(fleet_plan(settings.fleet.sync_seconds, last_success.get(FLEET), tz, now))
    return plans


def fleet_plan(
    seconds: float, last_success: datetime | None, tz: ZoneInfo, now: datetime
) -> JobPlan:
    """``fleet-sync`` every ``sync_every``; an overdue one (or the first) runs after the
    maintenance delay, so a start's catch-up poll goes first."""
    due = now + MAINTENANCE_DELAY
    if last_success is not None:
        due = max(due, last_success + timedelta(seconds=seconds))
    trigger = IntervalTrigger(seconds=seconds, start_date=due, timezone=tz)
    key = ("every", seconds)
    return JobPlan(FLEET, FLEET, trigger, key, grace_for(trigger, now), due, catch_up=False)


def monthly_crontab(settings: Settings) -> str:
    """``[report] monthly_day`` at ``monthly_time``, as a crontab line (site's timezone)."""
    hour, minute = settings.report.monthly_time.split(":")
    return f"{int(minute)} {int(hour)} {settings.report.monthly_day} * *"


def window_job_id(edge: WindowEdge) -> str:
    """``window-<ticket>-<start|end>``."""
    return f"{WINDOW_PREFIX}{edge.ticket_id}-{edge.edge}"


def window_plans(edges: list[WindowEdge], grace: int) -> dict[str, JobPlan]:
    """One-shot poll jobs at each window edge, by job id."""
    plans = {}
    for edge in edges:
        job_id = window_job_id(edge)
        trigger = DateTrigger(run_date=edge.at)
        key = ("at", edge.at.isoformat())
        plans[job_id] = JobPlan(job_id, "window", trigger, key, grace, None, edge.edge)
    return plans
