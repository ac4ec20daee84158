"""The ``fleet-sync`` job: copy what changed to the provider's central database (docs/fleet.md).

Planned every ``[fleet] sync_every`` only when the settings have a ``[fleet]`` section. Its copy
only reads the site's store (no writer lock, no site lock: a poll never waits for it); the change
plans approved online are then written as tickets in the daemon's writer turn. It gives up
after ``[fleet] timeout``; a failure raises, and the daemon records it and alerts ``job_failed``
once per failure streak, like every job. The site's detection and alerting never depend on it.
"""

from __future__ import annotations

import logging

from prisme_drift.config import Settings
from prisme_drift.fleet.gitsync import push_baseline
from prisme_drift.fleet.pushalert import record_push_result
from prisme_drift.fleet.sync import WriterTurn, sync_site
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

log = logging.getLogger(__name__)


def fleet_sync_job(settings: Settings, turn: WriterTurn | None = None) -> tuple[str, str]:
    """Copy the store to the central database (and pull the change plans approved online, in
    the writer ``turn``), then push the baseline: (outcome, note)."""
    if settings.fleet is None:
        return "skipped", "no [fleet] section in the settings"
    note = sync_site(settings, turn).line()
    pushed = push_baseline_to_fleet(settings)
    return "ok", note if pushed is None else f"{note}; {pushed}"


def push_baseline_to_fleet(settings: Settings) -> str | None:
    """Push ``observed`` and ``approved`` to ``[fleet] git_remote``; None when there is none.

    Fast-forward only. A rejected branch (the remote diverged) is recorded as a
    ``fleet_push_rejected`` alert, once per divergence, never forced; a branch that failed for
    another reason (network, credentials, timeout) raises, so the job fails and alerts.
    """
    fleet = settings.fleet
    if fleet is None or fleet.git_remote is None:
        return None
    key, token = fleet.git_ssh_key_file, fleet.git_token_file
    result = push_baseline(
        settings.baseline_path,
        fleet.git_remote,
        ssh_key_file=settings.resolve(key) if key else None,
        token_file=settings.resolve(token) if token else None,
        timeout=fleet.timeout_seconds,
    )
    if result.rejected:
        engine = shared_engine(settings.database_url)
        ensure_schema(engine)
        with session_factory(engine).begin() as session:
            record_push_result(session, settings, result)
    result.raise_for_failure()
    log.info("[%s] fleet: %s", settings.site.name, result.summary())
    return result.summary()
