"""A poll's structured state: the getter sessions of the devices due, and their new states.

Structured state is secondary: nothing here ever fails the configuration poll.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from nornir.core import Nornir

from prisme_drift.baseline import BaselineRepo
from prisme_drift.collect import CollectOptions
from prisme_drift.config import Settings
from prisme_drift.errors import PrismeDriftError
from prisme_drift.models import DeviceStatus, Fetch
from prisme_drift.normalize import FingerprintKey
from prisme_drift.poll.judge import Judged, observe
from prisme_drift.poll.normalized import Normalized
from prisme_drift.state.getters import GetterResults, collect_getters
from prisme_drift.state.refresh import Candidate, session_devices, update_states

log = logging.getLogger(__name__)


def run_state_sessions(
    fetches: dict[str, Fetch],
    repo: BaselineRepo,
    settings: Settings,
    key: FingerprintKey,
    force: bool,
    now: datetime,
    nr: Nornir,
    options: CollectOptions,
    normalized: Normalized | None = None,
) -> dict[str, GetterResults]:
    """The state getters and commands of the devices whose state is due; never raises.

    ``repo``: the poll's baseline repository, open (the judgement reads the same files next).
    """
    devices = state_session_devices(fetches, repo, key, settings, force, now, normalized)
    if not devices:
        return {}
    try:
        return collect_getters(nr, options, devices)
    except Exception:  # structured state is secondary: the configuration poll goes on
        log.exception("[%s] structured state sessions failed", settings.site.name)
        return {}


def state_session_devices(
    fetches: dict[str, Fetch],
    repo: BaselineRepo,
    key: FingerprintKey,
    settings: Settings,
    force: bool,
    now: datetime,
    normalized: Normalized | None = None,
) -> list[str]:
    """Which good fetches will need a state session: their snapshot compared with the baseline
    now, as ``_judge`` will (a fetch the guard then rejects only wastes its session)."""
    candidates = []
    for fetch in fetches.values():
        if not fetch.ok:
            continue
        try:
            snapshot, previous = observe(fetch, repo, key, normalized)
        except PrismeDriftError:
            continue  # _judge reports it
        changed = previous is None or (previous.config, previous.facts) != (
            snapshot.config,
            snapshot.facts,
        )
        candidates.append(Candidate(snapshot, changed))
    try:
        return session_devices(
            repo, candidates, force=force, now=now, state_dir=settings.state_path
        )
    except Exception:  # structured state is secondary: the configuration poll goes on
        log.exception("[%s] structured state sessions not planned", settings.site.name)
        return []


def structured_state(
    judged: list[Judged],
    repo: BaselineRepo,
    settings: Settings,
    force: bool,
    now: datetime,
    results: dict[str, GetterResults],
) -> None:
    """Rebuild the due states and put them in the snapshots; never fails the poll."""
    candidates = [
        Candidate(j.snapshot, j.status in (DeviceStatus.OK, DeviceStatus.CHANGED))
        for j in judged
        if j.snapshot is not None
    ]
    try:
        updates = update_states(
            repo,
            candidates,
            force=force,
            now=now,
            state_dir=settings.state_path,
            results=results,
        )
    except Exception:  # structured state is secondary: the configuration poll goes on
        log.exception("[%s] structured state not updated", settings.site.name)
        return
    for j in judged:
        update = updates.get(j.fetch.device)
        if update is not None and j.snapshot is not None:
            j.state = update
            j.snapshot = replace(j.snapshot, state=update.text)
