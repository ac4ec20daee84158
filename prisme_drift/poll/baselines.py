"""Commits of a poll: new states on observed, first baselines and authorized hunks on approved."""

from __future__ import annotations

from datetime import datetime

from prisme_drift.authorize.poll_auth import PollAuthorizer
from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.classify.patch import advance
from prisme_drift.models import DeviceStatus, Hunk, Snapshot
from prisme_drift.poll.judge import Judged
from prisme_drift.profiles import get_profile
from prisme_drift.store.models import Device, Poll


def _commit_message(judged: list[Judged], site: str) -> str:
    changed = [j.fetch.device for j in judged if j.status == DeviceStatus.CHANGED]
    new = [j.fetch.device for j in judged if j.status == DeviceStatus.OK]
    state = [j.fetch.device for j in judged if j.status == DeviceStatus.UNCHANGED and j.state_moved]
    parts = []
    if changed:
        parts.append("changed: " + ", ".join(changed))
    if new:
        parts.append("new: " + ", ".join(new))
    if state:
        parts.append("state: " + ", ".join(state))
    return f"{site}: poll, " + "; ".join(parts)


def record_baselines(
    repo: BaselineRepo, judged: list[Judged], site: str, when: datetime, poll_id: int
) -> tuple[str | None, str | None]:
    """Commit changed states on observed; first good polls also set the approved baseline."""
    moved = {
        j.fetch.device: j.snapshot
        for j in judged
        if j.snapshot and (j.status in (DeviceStatus.OK, DeviceStatus.CHANGED) or j.state_moved)
    }
    observed = (
        repo.commit(
            OBSERVED,
            {k: v for k, v in moved.items() if v},
            _commit_message(judged, site),
            when,
            {"Poll": str(poll_id)},
        )
        if moved
        else None
    )
    first = {
        j.fetch.device: j.snapshot
        for j in judged
        if j.snapshot and repo.read(APPROVED, j.fetch.device, j.fetch.platform) is None
    }
    approved = None
    if first:
        approved = repo.commit(
            APPROVED,
            {k: v for k, v in first.items() if v},
            f"{site}: baseline from the first good poll of " + ", ".join(sorted(first)),
            when,
            {"Poll": str(poll_id), "Approved-by": "first good poll"},
        )
    return observed, approved


def approve(
    repo: BaselineRepo,
    auth: PollAuthorizer,
    row: Device,
    approved: Snapshot,
    observed: Snapshot,
    hunks: list[Hunk],
    moved: list[tuple[Hunk, str]],
    poll: Poll,
) -> None:
    """Move approved forward by exactly the authorized hunks, naming their tickets."""
    moved_hunks = [h for h, _ in moved]
    tickets = sorted({t for _, t in moved})
    everything = len(moved_hunks) == len(hunks)
    snapshot = advance(approved, observed, moved_hunks, everything, get_profile(row.platform))
    commit = repo.commit(
        APPROVED,
        {row.name: snapshot},
        f"{row.site}: {row.name}: authorized change(s) under " + ", ".join(tickets),
        poll.started_at,
        {"Poll": str(poll.id), "Ticket": ", ".join(tickets)},
    )
    auth.audit.append(
        "prisme-drift",
        "baseline.approve",
        row.name,
        {"commit": commit, "tickets": tickets, "hunks": [h.as_dict() for h in moved_hunks]},
    )
