"""A rejected fleet git push is an alert to IT, never a force: ``fleet_push_rejected`` events.

The event names the divergence by the branch and the remote's commit the push ran into, so a
sync every few minutes alerts once while the remote stays where it diverged; a remote that moves
again (someone wrote to it once more) is a new divergence and a new alert. A branch that could
not be pushed for another reason (network, authentication) is not this event: the sync job
raises it (:meth:`GitPushResult.raise_for_failure`) and the daemon alerts ``job_failed``.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.fleet.gitsync import BranchPush, GitPushResult
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.store.models import Event

log = logging.getLogger(__name__)


def rejection_key(branch: BranchPush) -> str:
    """The thing a rejection reports: the branch and the remote commit it diverged at."""
    return f"{branch.branch}:{branch.remote_head or 'unknown'}"


def record_push_result(session: Session, settings: Settings, result: GitPushResult) -> list[Event]:
    """Record one ``fleet_push_rejected`` event per rejected branch, once per divergence, in the
    caller's transaction (queued on every channel); the events recorded now, [] if none."""
    recorded = []
    for branch in result.rejected:
        payload = {
            "remote": result.remote,
            "branch": branch.branch,
            "local_head": branch.local_head,
            "remote_head": branch.remote_head,
            "reason": branch.reason,
        }
        event = record_event(
            session, settings, EventKind.FLEET_PUSH_REJECTED, rejection_key(branch), payload=payload
        )
        if event is not None:
            log.warning(
                "[%s] fleet git push of %s refused: %s",
                settings.site.name,
                branch.branch,
                branch.reason,
            )
            recorded.append(event)
    return recorded
