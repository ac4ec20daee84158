"""When to rebuild a device's structured state during a poll, and doing it.

The state is rebuilt when the configuration or facts changed (or the device is new), when the
poll asks for it (``run --state``, ticket window edges), and once a day. Config extractors cost
nothing on the device; NAPALM getters open one extra session, so an unchanged poll between two
daily refreshes sends no extra command. The time of each device's last refresh is kept in the
state folder (``state-refresh.json``), not in git: a refresh that finds nothing new commits
nothing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.devicestate import DeviceState, StateChange
from prisme_drift.errors import BaselineError
from prisme_drift.models import Snapshot
from prisme_drift.profiles import get_profile
from prisme_drift.state.build import build_state
from prisme_drift.state.changes import same_state, state_changes
from prisme_drift.state.getters import GetterResults
from prisme_drift.state.store import load_state

log = logging.getLogger(__name__)

REFRESH_FILE = "state-refresh.json"
DAILY = timedelta(hours=24)


@dataclass(frozen=True)
class Candidate:
    """A device with a good snapshot this poll; ``changed``: its config or facts moved."""

    snapshot: Snapshot
    changed: bool


@dataclass
class StateUpdate:
    """A rebuilt state: ``text`` to commit (None: same as before), and its changes."""

    state: DeviceState
    text: str | None
    changes: list[StateChange] = field(default_factory=list)


def read_stamps(state_dir: Path) -> dict[str, str]:
    """Device -> ISO time of its last state refresh ({} when none was recorded)."""
    try:
        data = json.loads((state_dir / REFRESH_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_stamps(state_dir: Path, stamps: dict[str, str]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".state-refresh.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(stamps, handle, indent=1, sort_keys=True)
        os.replace(tmp, state_dir / REFRESH_FILE)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def refresh_due(changed: bool, has_state: bool, stamp: str | None, now: datetime) -> bool:
    """The rule, for the state and for the configuration poll's facts: due when the
    configuration or facts changed (or the device is new), when no state is on file, and once a
    day (``stamp``: the last refresh). Forced polls (``run --state``, window edges) add to it."""
    if changed or not has_state or stamp is None:
        return True
    try:
        return now - datetime.fromisoformat(stamp) >= DAILY
    except ValueError:
        return True


def _previous(repo: BaselineRepo, device: str) -> DeviceState | None:
    try:
        return load_state(repo, device, OBSERVED)
    except BaselineError as exc:
        log.warning("%s: previous state unreadable, rebuilt from scratch: %s", device, exc)
        return None


def _due_now(
    repo: BaselineRepo, candidates: Sequence[Candidate], force: bool, now: datetime, state_dir: Path
) -> tuple[list[Candidate], dict[str, DeviceState | None]]:
    """The candidates whose state is due, and their previous states (read for those only: an
    unchanged poll parses no state)."""
    stamps = read_stamps(state_dir)
    on_file = set(repo.state_devices(OBSERVED))
    due = [
        c
        for c in candidates
        if force
        or refresh_due(c.changed, c.snapshot.device in on_file, stamps.get(c.snapshot.device), now)
    ]
    return due, {c.snapshot.device: _previous(repo, c.snapshot.device) for c in due}


def session_devices(
    repo: BaselineRepo,
    candidates: Sequence[Candidate],
    *,
    force: bool,
    now: datetime,
    state_dir: Path,
) -> list[str]:
    """The devices whose state is due and needs a session (getters or commands) this poll."""
    due, _ = _due_now(repo, candidates, force, now, state_dir)
    return [c.snapshot.device for c in due if get_profile(c.snapshot.platform).state_session]


def update_states(
    repo: BaselineRepo,
    candidates: Sequence[Candidate],
    *,
    force: bool,
    now: datetime,
    state_dir: Path,
    results: Mapping[str, GetterResults],
) -> dict[str, StateUpdate]:
    """Rebuild the states that are due from ``results`` (the getter pass already ran, outside
    any database transaction); device -> update (devices not due are absent)."""
    due, previous = _due_now(repo, candidates, force, now, state_dir)
    if not due:
        return {}
    stamps = read_stamps(state_dir)
    updates: dict[str, StateUpdate] = {}
    for c in due:
        snap = c.snapshot
        profile = get_profile(snap.platform)
        state = build_state(
            device=snap.device,
            profile=profile,
            config=snap.config,
            facts=snap.facts,
            collected_at=now.isoformat(),
            getters=results.get(snap.device) if profile.state_session else None,
            previous=previous[snap.device],
        )
        old = previous[snap.device]
        text = None if same_state(old, state) else state.to_json()
        updates[snap.device] = StateUpdate(state, text, state_changes(old, state))
        stamps[snap.device] = now.isoformat()
    _write_stamps(state_dir, stamps)
    return updates
