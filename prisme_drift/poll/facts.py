"""When a poll asks a device for its facts (NAPALM ``get_facts``, a profile's fact commands).

Facts cost commands on the device at every poll while they almost never change. They follow
the structured state's rule (``state.refresh.refresh_due``): asked when the configuration
changed or the device is new, when the device has no state on file yet, once a day, at ticket
window edges and on demand (``run --state``). Otherwise the last observed facts are carried
forward, and an unchanged poll sends the configuration's commands alone.

The collection worker asks ``FactsPlan.wants`` with the configuration it just read, in the same
session: the configuration is normalized there once (``Normalized``; not at all when it is the
raw text last normalized into the observed one) and compared with the last observed one, read
for every device before the collection starts (one batched baseline read).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.config import Settings
from prisme_drift.normalize import FingerprintKey
from prisme_drift.poll.normalized import Normalized
from prisme_drift.state.refresh import read_stamps, refresh_due

log = logging.getLogger(__name__)


class FactsPlan:
    """One poll's facts rule: the last observed configurations, states and refresh times."""

    def __init__(
        self,
        normalized: Normalized,
        previous: dict[str, str | None],
        with_state: set[str],
        stamps: dict[str, str],
        *,
        force: bool,
        now: datetime,
    ) -> None:
        self.normalized = normalized
        self.previous = previous
        self.with_state = with_state
        self.stamps = stamps
        self.force = force
        self.now = now

    @classmethod
    def load(
        cls,
        repo: BaselineRepo,
        settings: Settings,
        key: FingerprintKey,
        devices: Iterable[str],
        *,
        force: bool,
        now: datetime,
    ) -> FactsPlan:
        """Read what the rule needs for ``devices`` from the baseline (``repo``, open: the
        poll's own) and the state folder."""
        previous: dict[str, str | None] = {}
        for device in devices:
            snapshot = repo.read(OBSERVED, device, "")
            previous[device] = snapshot.config if snapshot is not None else None
        with_state = set(repo.state_devices(OBSERVED))
        stamps = read_stamps(settings.state_path)
        normalized = Normalized.load(key, repo, settings.state_path, previous)
        return cls(normalized, previous, with_state, stamps, force=force, now=now)

    def wants(self, device: str, platform: str, raw: str) -> bool:
        """Whether to fetch the facts of a device whose raw configuration is ``raw``."""
        if self.force or self.previous.get(device) is None:
            return True
        try:
            changed = self.normalized.get(device, platform, raw) != self.previous[device]
        except Exception:  # the judgement reports a configuration that fails to normalize
            log.debug("%s: configuration not normalized in the worker", device, exc_info=True)
            return True
        return refresh_due(changed, device in self.with_state, self.stamps.get(device), self.now)
