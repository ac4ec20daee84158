"""Reading structured states back from the git baseline (``<site>/<device>.state.json``)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.config import Settings
from prisme_drift.devicestate import DeviceState, StateChange
from prisme_drift.errors import BaselineError
from prisme_drift.state.changes import state_changes

log = logging.getLogger(__name__)


def parse_state(text: str, where: str) -> DeviceState:
    """A state file's text as a DeviceState; BaselineError naming the file when it is not one."""
    try:
        return DeviceState.from_json(text)
    except ValidationError as exc:
        raise BaselineError(
            f"{where} is not a valid prisme-drift state ({exc.error_count()} error(s), first at "
            f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}); run 'prisme-drift run --state' "
            "to write a new one"
        ) from exc


def load_state(repo: BaselineRepo, device: str, branch: str = OBSERVED) -> DeviceState | None:
    """One device's latest state on a branch, or None when it has none yet."""
    text = repo.read_state(branch, device)
    if text is None:
        return None
    return parse_state(text, f"{branch}:{repo.site}/{device}.state.json")


def load_site_state(settings: Settings, branch: str = OBSERVED) -> dict[str, DeviceState]:
    """The latest state of every device of the site that has one, by device name."""
    site = settings.site.name
    with BaselineRepo(settings.baseline_path, site) as repo:
        states: dict[str, DeviceState] = {}
        for device in repo.state_devices(branch):
            state = load_state(repo, device, branch)
            if state is not None:
                states[device] = state
    log.debug("[%s] %d device state(s) read from %s", site, len(states), branch)
    return states


def device_state_changes(
    settings: Settings, device: str, old: str = APPROVED, new: str = OBSERVED
) -> list[StateChange]:
    """Structured changes of one device between two branches or commits (approved -> observed:
    what the open drift changed, as values), [] when either side has no state."""
    with BaselineRepo(settings.baseline_path, settings.site.name) as repo:
        before, after = load_state(repo, device, old), load_state(repo, device, new)
    if before is None or after is None:
        return []
    return state_changes(before, after)
