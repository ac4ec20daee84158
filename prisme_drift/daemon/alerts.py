"""The daemon's bridge to the notify layer: ``job_failed`` events and the outbox sender.

A ``job_failed`` event is keyed by the job and the start of its failure streak: a job failing at
every run alerts once, and again only after it has succeeded in between. Integrity problems at
start (degraded mode) are reported as the job ``integrity``. Nothing here ever raises: the
daemon keeps running when the database or the mail relay is down, and says so in the journal.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prisme_drift.config import Settings
from prisme_drift.durations import format_duration
from prisme_drift.notify.direct import send_out_of_store
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

log = logging.getLogger(__name__)

INTEGRITY_JOB = "integrity"


def job_failed_key(job_id: str, failing_since: datetime) -> str:
    """The dedupe key of one failure streak of a job."""
    return f"{job_id}:{failing_since.isoformat()}"  # full precision: one key per streak


def raise_job_failed(
    settings: Settings, job_id: str, error: str, failing_since: datetime, at: datetime
) -> bool:
    """Record a ``job_failed`` event (and its outbox messages); True if it was recorded."""
    from prisme_drift.notify.events import EventKind, record_event

    site = settings.site.name
    payload = {
        "job": job_id,
        "error": error[:2000],
        "failing_since": failing_since.isoformat(timespec="seconds"),
    }
    try:
        engine = shared_engine(settings.database_url)
        try:
            ensure_schema(engine)
            with session_factory(engine).begin() as session:
                event = record_event(
                    session,
                    settings,
                    EventKind.JOB_FAILED,
                    job_failed_key(job_id, failing_since),
                    payload=payload,
                    at=at,
                )
        finally:
            engine.dispose()
    except Exception as exc:
        log.error(
            "[%s] job_failed alert for %s could not be recorded (%s: %s); the failure was: %s",
            site,
            job_id,
            type(exc).__name__,
            exc,
            error,
        )
        return False
    return event is not None


def send_outbox(settings: Settings) -> tuple[str, bool]:
    """Deliver due notifications (``notify.sender.deliver_due``): (report line, attempted)."""
    from prisme_drift.notify.sender import deliver_due

    report = deliver_due(settings)
    return report.line(), report.attempted


def alert_degraded(
    settings: Settings,
    reason: str,
    problem: str | None,
    failing_since: datetime,
    now: datetime,
    retry_every: float | None,
) -> None:
    """One alert per degraded-mode incident: through the outbox when the store is sound, else
    straight to the channels (the outbox is in the broken store)."""
    if problem is None:
        if raise_job_failed(settings, INTEGRITY_JOB, reason, failing_since, now):
            return
        problem = "other"  # the database refused the event: tell IT another way
    payload = {
        "problem": problem,
        "error": reason[:2000],
        "failing_since": failing_since.isoformat(timespec="seconds"),
        "retry_every": format_duration(retry_every) if retry_every else None,
    }
    key = f"{INTEGRITY_JOB}-{failing_since:%Y%m%dT%H%M%S%f}"
    outcomes = send_out_of_store(settings, key, payload, now)
    log.info(
        "[%s] out-of-store alert for %s: %s", settings.site.name, problem, outcomes or "no channel"
    )
