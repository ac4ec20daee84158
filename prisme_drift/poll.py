"""One poll of a site: collect -> guard -> normalize -> baseline -> classify -> drift items.

Each stage is a plain function of plain values; this module only wires them and records the
outcome. A device that failed or was quarantined changes nothing: no commit, no drift opened or
closed, its last good baseline untouched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from nornir.core import Nornir
from sqlalchemy import select
from sqlalchemy.orm import Session

from prisme_drift.authorize.poll_auth import PollAuthorizer
from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.classify import diff_snapshots
from prisme_drift.classify.patch import advance
from prisme_drift.classify.remediation import remediation_lines
from prisme_drift.collect import CollectOptions, check_fetch, collect_all
from prisme_drift.collect.credentials import CredentialSource
from prisme_drift.config import Settings
from prisme_drift.drift import item_view, open_items
from prisme_drift.errors import PrismeDriftError
from prisme_drift.inventory import build_nornir, device_refs, load_credentials
from prisme_drift.models import (
    DeviceOutcome,
    DeviceStatus,
    Fetch,
    Hunk,
    PollReport,
    Snapshot,
)
from prisme_drift.normalize import FingerprintKey, normalize
from prisme_drift.notify.events import DeviceTransition, Removal, record_poll_events
from prisme_drift.notify.sender import deliver_after_poll
from prisme_drift.profiles import get_profile
from prisme_drift.recovery import site_writer
from prisme_drift.state.getters import GetterResults, collect_getters
from prisme_drift.state.refresh import Candidate, StateUpdate, session_devices, update_states
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import Device, DevicePoll, Poll
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)


class PollCancelled(PrismeDriftError):
    """The poll was cancelled (daemon shutting down) before it wrote anything."""


@dataclass
class _Judged:
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


def _device_row(session: Session, site: str, fetch: Fetch) -> Device:
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


def _remove_missing(
    session: Session, site: str, inventory: set[str], poll: Poll, auth: PollAuthorizer
) -> list[Removal]:
    """Devices known to the site but gone from the inventory: marked removed, their open drift
    items closed as ``device_removed`` (nothing watches them any more), their baseline kept."""
    gone = session.scalars(
        select(Device)
        .where(Device.site == site, Device.removed_at.is_(None), Device.name.not_in(inventory))
        .order_by(Device.name)
    )
    removals = []
    for row in gone:
        row.removed_at = poll.started_at
        items = open_items(session, site, row.id)
        for item in items:
            item.closed_at, item.closed_poll_id = poll.started_at, poll.id
            item.close_reason = "device_removed"
        auth.audit.append(
            "prisme-drift",
            "device.removed",
            row.name,
            {"poll": poll.id, "closed_items": [i.id for i in items], "baseline": "kept"},
        )
        log.warning(
            "[%s] %s: removed from the inventory; %d open drift item(s) closed, baseline kept",
            site,
            row.name,
            len(items),
        )
        removals.append(Removal(row, tuple(items)))
    return removals


def _observe(
    fetch: Fetch, repo: BaselineRepo, key: FingerprintKey
) -> tuple[Snapshot, Snapshot | None]:
    """The fetch as a normalized snapshot, and the last observed one (None for a new device)."""
    previous = repo.read(OBSERVED, fetch.device, fetch.platform)
    # Facts the device could not give this time are carried forward: unknown is not a change.
    facts = {**(previous.facts if previous else {}), **fetch.facts}
    config = normalize(fetch.config or "", get_profile(fetch.platform), key)
    return Snapshot(fetch.device, fetch.platform, config, facts), previous


def _judge(
    fetch: Fetch, row: Device, repo: BaselineRepo, settings: Settings, key: FingerprintKey
) -> _Judged:
    """Guard then normalize one fetch; compare with the last observed state."""
    if not fetch.ok:
        return _Judged(fetch, DeviceStatus.FAILED, error_kind=fetch.error_kind, error=fetch.error)
    profile = get_profile(fetch.platform)
    verdict = check_fetch(
        fetch.config, profile, row.last_good_lines, settings.collect.min_share_of_last_good
    )
    if not verdict.accepted:
        return _Judged(
            fetch, DeviceStatus.QUARANTINED, error_kind=verdict.reason, error=verdict.detail
        )
    snapshot, previous = _observe(fetch, repo, key)
    if previous is None:
        status = DeviceStatus.OK
    elif previous.config == snapshot.config and previous.facts == snapshot.facts:
        status = DeviceStatus.UNCHANGED
    else:
        status = DeviceStatus.CHANGED
    lines = sum(1 for line in (fetch.config or "").splitlines() if line.strip())
    return _Judged(fetch, status, snapshot=snapshot, lines=lines)


def _commit_message(judged: list[_Judged], site: str) -> str:
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


def _record_baselines(
    repo: BaselineRepo, judged: list[_Judged], site: str, when: datetime, poll_id: int
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


def _update_device(row: Device, j: _Judged, now: datetime) -> datetime | None:
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


def run_poll(
    settings: Settings,
    *,
    trigger: str = "manual",
    on_result: Callable[[Fetch], None] | None = None,
    deliver: bool = True,
    cancel: threading.Event | None = None,
    state: bool = False,
) -> PollReport:
    """Poll every device of the site once and reconcile drift; the site lock is held throughout
    (``recovery.site_writer``: state check and crash recovery first).

    Structured state is rebuilt where the configuration changed, once a day, at ticket window
    edges (``trigger`` ``window-...``) and for every device with ``state``.

    The poll's events go to the outbox in its transaction; with ``deliver``, due notifications
    are then sent (after the lock is released; a delivery problem never fails the poll).
    ``cancel`` set by the end of the collection raises PollCancelled before any write.
    """
    force_state = state or trigger.startswith("window")
    with site_writer(settings, "poll"):
        engine = shared_engine(settings.database_url)
        try:
            ensure_schema(engine)
            report = _poll_locked(settings, engine, trigger, on_result, cancel, force_state)
        finally:
            engine.dispose()
    if deliver:
        deliver_after_poll(settings)
    return report


def _poll_locked(
    settings: Settings,
    engine: object,
    trigger: str,
    on_result: Callable[[Fetch], None] | None,
    cancel: threading.Event | None = None,
    force_state: bool = False,
) -> PollReport:
    site = settings.site.name
    nr = build_nornir(settings)
    options = CollectOptions(
        timeout=settings.collect.timeout,
        connect_timeout=settings.collect.connect_timeout,
        retries=settings.collect.retries,
        backoff=settings.collect.backoff,
        state_dir=settings.state_path,
        host_key_policy=settings.collect.host_key_policy,
        credentials=load_credentials(settings.credentials_path),
        credential_source=CredentialSource.from_settings(settings),
    )
    key = FingerprintKey.load_or_create(settings.state_path)
    started = utcnow()
    fetches = collect_all(nr, options, on_result)
    if cancel is not None and cancel.is_set():
        raise PollCancelled(f"poll cancelled after collecting {len(fetches)} device(s)", site=site)
    # the state sessions run before the database transaction: network waits never hold it
    state_results = _run_state_sessions(fetches, settings, key, force_state, started, nr, options)
    if cancel is not None and cancel.is_set():
        raise PollCancelled("poll cancelled after the structured state sessions", site=site)
    sessions = session_factory(engine)  # type: ignore[arg-type]
    with sessions.begin() as session, BaselineRepo(settings.baseline_path, site) as repo:
        poll = Poll(site=site, started_at=started, trigger=trigger)
        session.add(poll)
        session.flush()
        rows = {name: _device_row(session, site, f) for name, f in sorted(fetches.items())}
        judged = [_judge(fetches[n], rows[n], repo, settings, key) for n in sorted(fetches)]
        _structured_state(judged, repo, settings, force_state, started, state_results)
        observed_commit, approved_commit = _record_baselines(repo, judged, site, started, poll.id)
        auth = PollAuthorizer(session, settings, device_refs(nr))
        auth.report_refusals(poll)
        removals = _remove_missing(session, site, set(fetches), poll, auth)
        opened: list[int] = []
        closed: list[int] = [i.id for r in removals for i in r.items]
        transitions: list[DeviceTransition] = []
        for j in judged:
            row = rows[j.fetch.device]
            previous_success = _update_device(row, j, started)
            transitions.append(
                DeviceTransition(row, j.status, j.error_kind, j.error, previous_success)
            )
            session.add(
                DevicePoll(
                    poll_id=poll.id,
                    device_id=row.id,
                    status=str(j.status),
                    error_kind=j.error_kind,
                    error=j.error,
                    attempts=j.fetch.attempts,
                    duration_s=j.fetch.duration_s,
                    at=started,
                )
            )
            if j.snapshot is None:
                continue
            o, c = _drift_for_device(session, repo, row, j, poll, previous_success, auth)
            opened += o
            closed += c
        record_poll_events(session, settings, poll, transitions, removals)  # same transaction
        finished = utcnow()
        poll.finished_at = finished
        poll.observed_commit = observed_commit or repo.head(OBSERVED)
        poll.approved_commit = approved_commit or repo.head(APPROVED)
        poll.summary = {s.value: sum(1 for j in judged if j.status == s) for s in DeviceStatus}
        session.flush()
        poll.approved_commit = repo.head(APPROVED)
        drift = tuple(item_view(i) for i in open_items(session, site))
        outcomes = tuple(
            DeviceOutcome(
                j.fetch.device,
                j.status,
                j.error_kind,
                j.error,
                tuple(j.hunks),
                tuple(c.model_dump(mode="json") for c in (j.state.changes if j.state else ())),
            )
            for j in judged
        )
        report = PollReport(
            site=site,
            started_at=started,
            finished_at=finished,
            devices=outcomes,
            drift=drift,
            opened=tuple(opened),
            closed=tuple(closed),
            commit=observed_commit,
            poll_id=poll.id,
            warnings=tuple(r.line() for r in auth.refused),
            removed=tuple(r.device.name for r in removals),
        )
    auth.audit.committed()
    log.info(
        "[%s] poll %s: %s, %d open drift item(s), %d opened, %d closed",
        site,
        report.poll_id,
        poll.summary,
        len(drift),
        len(opened),
        len(closed),
    )
    return report


def _run_state_sessions(
    fetches: dict[str, Fetch],
    settings: Settings,
    key: FingerprintKey,
    force: bool,
    now: datetime,
    nr: Nornir,
    options: CollectOptions,
) -> dict[str, GetterResults]:
    """The state getters and commands of the devices whose state is due; never raises."""
    with BaselineRepo(settings.baseline_path, settings.site.name) as repo:
        devices = _state_session_devices(fetches, repo, key, settings, force, now)
    if not devices:
        return {}
    try:
        return collect_getters(nr, options, devices)
    except Exception:  # structured state is secondary: the configuration poll goes on
        log.exception("[%s] structured state sessions failed", settings.site.name)
        return {}


def _state_session_devices(
    fetches: dict[str, Fetch],
    repo: BaselineRepo,
    key: FingerprintKey,
    settings: Settings,
    force: bool,
    now: datetime,
) -> list[str]:
    """Which good fetches will need a state session: their snapshot compared with the baseline
    now, as ``_judge`` will (a fetch the guard then rejects only wastes its session)."""
    candidates = []
    for fetch in fetches.values():
        if not fetch.ok:
            continue
        try:
            snapshot, previous = _observe(fetch, repo, key)
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


def _structured_state(
    judged: list[_Judged],
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


def _drift_for_device(
    session: Session,
    repo: BaselineRepo,
    row: Device,
    j: _Judged,
    poll: Poll,
    previous_success: datetime | None,
    auth: PollAuthorizer,
) -> tuple[list[int], list[int]]:
    """Hunks approved -> observed, judged against the tickets; approved moves by the authorized."""
    assert j.snapshot is not None
    approved = repo.read(APPROVED, row.name, row.platform)
    if approved is None:
        return [], []
    profile = get_profile(row.platform)
    j.hunks = diff_snapshots(approved, j.snapshot, profile)
    remediation = remediation_lines(approved.config, j.snapshot.config, profile) if j.hunks else []
    existing = open_items(session, row.site, row.id)
    result = auth.reconcile(row, j.hunks, remediation, poll, previous_success, existing)
    if result.moved:
        _approve(repo, auth, row, approved, j.snapshot, j.hunks, result.moved, poll)
    return result.opened, result.closed


def _approve(
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
