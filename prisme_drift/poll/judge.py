"""A poll's view of each device: its fetch after the guard and normalization, its row."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.collect import check_fetch
from prisme_drift.config import Settings
from prisme_drift.models import DeviceStatus, Fetch, Hunk, Snapshot
from prisme_drift.normalize import FingerprintKey
from prisme_drift.poll.normalized import Normalized
from prisme_drift.profiles import get_profile
from prisme_drift.state.refresh import StateUpdate
from prisme_drift.store.models import Device

log = logging.getLogger(__name__)


@dataclass
class Judged:
    """A device's fetch after the guard and normalization."""

    fetch: Fetch
    status: DeviceStatus
    snapshot: Snapshot | None = None
    error_kind: str | None = None
    error: str | None = None
    lines: int | None = None
    hunks: list[Hunk] = field(default_factory=list)
    state: StateUpdate | None = None

    @property
    def state_moved(self) -> bool:
        """Whether a new structured state is to be committed."""
        return self.state is not None and self.state.text is not None


def device_rows(session: Session, site: str, fetches: dict[str, Fetch]) -> dict[str, Device]:
    """The row of every fetched device, by name: the site's rows read in one query (not one
    per device), new ones created."""
    known = {d.name: d for d in session.scalars(select(Device).where(Device.site == site))}
    return {name: device_row(session, site, f, known) for name, f in sorted(fetches.items())}


def device_row(
    session: Session, site: str, fetch: Fetch, known: dict[str, Device] | None = None
) -> Device:
    """The device's row (``known``: the site's rows, read at once), created if new."""
    if known is not None:
        row = known.get(fetch.device)
    else:
        row = session.scalar(select(Device).where(Device.site == site, Device.name == fetch.device))
    if row is None:
        row = Device(
            site=site,
            name=fetch.device,
            platform=fetch.platform,
            hostname=fetch.hostname,
            port=fetch.port,
            consecutive_failures=0,
        )
        session.add(row)
        session.flush()
    row.platform, row.hostname, row.port = fetch.platform, fetch.hostname, fetch.port
    if row.removed_at is not None:
        log.warning(
            "[%s] %s: back in the inventory (removed %s); its history and baseline resume",
            site,
            row.name,
            row.removed_at.isoformat(timespec="seconds"),
        )
        row.removed_at = None
    return row


def observe(
    fetch: Fetch, repo: BaselineRepo, key: FingerprintKey, normalized: Normalized | None = None
) -> tuple[Snapshot, Snapshot | None]:
    """The fetch as a normalized snapshot, and the last observed one (None for a new device)."""
    previous = repo.read(OBSERVED, fetch.device, fetch.platform)
    # Facts the device could not give this time are carried forward (unknown is not a change),
    # and so are those not asked for on an unchanged poll (``poll.facts``).
    facts = {**(previous.facts if previous else {}), **fetch.facts}
    cache = normalized or Normalized(key)
    config = cache.get(fetch.device, fetch.platform, fetch.config or "")
    return Snapshot(fetch.device, fetch.platform, config, facts), previous


def judge_fetch(
    fetch: Fetch,
    row: Device,
    repo: BaselineRepo,
    settings: Settings,
    key: FingerprintKey,
    normalized: Normalized | None = None,
) -> Judged:
    """Guard then normalize one fetch; compare with the last observed state."""
    if not fetch.ok:
        return Judged(fetch, DeviceStatus.FAILED, error_kind=fetch.error_kind, error=fetch.error)
    profile = get_profile(fetch.platform)
    verdict = check_fetch(
        fetch.config, profile, row.last_good_lines, settings.collect.min_share_of_last_good
    )
    if not verdict.accepted:
        return Judged(
            fetch, DeviceStatus.QUARANTINED, error_kind=verdict.reason, error=verdict.detail
        )
    snapshot, previous = observe(fetch, repo, key, normalized)
    if previous is None:
        status = DeviceStatus.OK
    elif previous.config == snapshot.config and previous.facts == snapshot.facts:
        status = DeviceStatus.UNCHANGED
    else:
        status = DeviceStatus.CHANGED
    lines = sum(1 for line in (fetch.config or "").splitlines() if line.strip())
    return Judged(fetch, status, snapshot=snapshot, lines=lines)


def update_device(row: Device, j: Judged, now: datetime) -> datetime | None:
    """Record the outcome on the device row; returns the previous good poll time."""
    previous_success = row.last_success_at
    row.last_poll_at, row.last_status = now, str(j.status)
    row.last_error_kind, row.last_error = j.error_kind, j.error
    if j.status in (DeviceStatus.FAILED, DeviceStatus.QUARANTINED):
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        return previous_success
    row.consecutive_failures = 0
    row.last_success_at = now
    if j.lines:
        row.last_good_lines = j.lines
        row.last_good_bytes = len(j.fetch.config or "")
    if j.status in (DeviceStatus.CHANGED, DeviceStatus.OK):
        row.last_change_at = now
    return previous_success
