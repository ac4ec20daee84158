"""The ``monthly-report`` job: write last month's summary and email it to the client.

Scheduled on ``[report] monthly_day`` at ``monthly_time`` (site's timezone); a start after a
missed run catches it up once (``schedule.fixed_plans``). Sending goes through the outbox with
the month as the document's key, so a caught-up or retried run never emails a second copy.
An error raises (the daemon records it and alerts ``job_failed`` once per streak), except for a
month before the site's first poll: nothing to report yet, the run is skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prisme_drift.config import Settings

log = logging.getLogger(__name__)


def monthly_report_job(settings: Settings, now: datetime) -> tuple[str, str]:
    """Write (and send, with ``[smtp]``) the previous month's summary: (outcome, note)."""
    from prisme_drift.report.monthly_service import NoPollError, send_monthly, write_monthly

    try:
        written = write_monthly(settings, now=now)
    except NoPollError as exc:
        if exc.before_first_poll:
            return "skipped", f"no summary: {exc}"
        raise
    note = f"monthly summary {written.month} written: {written.files.get('pdf')}"
    if settings.smtp is None:
        return "ok", note + " (no [smtp]: not emailed)"
    sent = send_monthly(settings, written, now)
    if sent.status != "sent":
        return "ok", note + f"; email queued as outbox {sent.message_id}: {sent.error}"
    how = "sent" if sent.new else "already sent"
    return "ok", note + f"; {how} to {', '.join(sent.to)} (outbox {sent.message_id})"
