"""The events a poll raises: drift items opened and closed, device outages, quarantines and host
key changes, devices removed from the inventory, and the periodic heartbeat."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from prisme_drift.config import Settings
from prisme_drift.drift.items import item_view
from prisme_drift.errors import PrismeDriftError
from prisme_drift.models import DeviceStatus
from prisme_drift.normalize import FingerprintKey, redact
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.notify.outbox import queue_message
from prisme_drift.profiles import get_profile
from prisme_drift.store.models import Device, DevicePoll, DriftItem, Event, Poll

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceTransition:
    """What a poll did to one device, as the event rules need it."""

    device: Device
    status: DeviceStatus
    error_kind: str | None
    error: str | None
    previous_success: datetime | None


@dataclass(frozen=True)
class Removal:
    """A device a poll found gone from the inventory, and the open drift items it closed."""

    device: Device
    items: tuple[DriftItem, ...]


# --------------------------------------------------------------------------- drift


def _unnotified(kind: EventKind) -> Any:
    """SQL condition: no event of ``kind`` exists for the drift item."""
    return ~exists().where(Event.drift_item_id == DriftItem.id, Event.kind == str(kind))


def _drift_events(session: Session, settings: Settings, poll: Poll) -> list[Event]:
    """``drift_opened`` for every open unauthorized item not yet notified; ``drift_closed`` for
    every closed item whose opening was notified (reverted, superseded, accepted, authorized)."""
    site = settings.site.name
    base = select(DriftItem).where(DriftItem.site == site).options(selectinload(DriftItem.device))
    to_open = base.where(
        DriftItem.closed_at.is_(None),
        DriftItem.verdict == "unauthorized",
        # an expired transitional change has its own event, raised where it is detected
        DriftItem.reason.is_distinct_from("transitional_expired"),
        _unnotified(EventKind.DRIFT_OPENED),
    )
    to_close = base.where(
        DriftItem.closed_at.is_not(None),
        # the device_removed event lists the items its removal closed: one alert, not two
        DriftItem.close_reason.is_distinct_from("device_removed"),
        ~_unnotified(EventKind.DRIFT_OPENED) | ~_unnotified(EventKind.TRANSITIONAL_EXPIRED),
        _unnotified(EventKind.DRIFT_CLOSED),
    )
    events = []
    for kind, query in ((EventKind.DRIFT_OPENED, to_open), (EventKind.DRIFT_CLOSED, to_close)):
        for item in session.scalars(query.order_by(DriftItem.id)):
            event = record_event(
                session,
                settings,
                kind,
                str(item.id),
                payload=item_view(item).as_dict(),
                device=item.device.name,
                drift_item_id=item.id,
                poll_id=poll.id,
                at=poll.started_at,
                queue=False,
            )
            events += [event] if event else []
    return events


# --------------------------------------------------------------------------- devices


def _device_payload(t: DeviceTransition, error: str | None) -> dict[str, Any]:
    row = t.device
    return {
        "device": row.name,
        "platform": row.platform,
        "hostname": row.hostname,
        "port": row.port,
        "status": str(t.status),
        "error_kind": t.error_kind,
        "error": error,
        "failures": row.consecutive_failures,
        "last_success_at": t.previous_success.isoformat() if t.previous_success else None,
    }


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _redacted(text: str | None, platform: str, key: FingerprintKey) -> str | None:
    """Error texts may quote a device line (the fetch guard does, ``...: 'line'``): redact the
    text and every quoted part as configuration lines, since secret patterns anchor at a line's
    start."""
    if not text:
        return text
    try:
        profile = get_profile(platform)
    except PrismeDriftError:
        return "(detail withheld: no profile to redact it with)"

    def quoted(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        quote = match.group(0)[0]
        return quote + redact(inner, profile, key) + quote

    return redact(_QUOTED.sub(quoted, text), profile, key)


def _failed_streak(session: Session, device_id: int, length: int) -> bool:
    """True if the device's last ``length`` polls all failed (host key failures excepted)."""
    rows = session.execute(
        select(DevicePoll.status, DevicePoll.error_kind)
        .where(DevicePoll.device_id == device_id)
        .order_by(DevicePoll.id.desc())
        .limit(length)
    ).all()
    return len(rows) == length and all(
        status == DeviceStatus.FAILED and kind != "hostkey" for status, kind in rows
    )


def _outage_keys(session: Session, site: str) -> set[str]:
    """The dedupe keys of the site's ``device_unreachable`` events, in one query (not one per
    device that answered)."""
    prefix = f"{EventKind.DEVICE_UNREACHABLE}:"
    query = select(Event.dedupe_key).where(
        Event.site == site, Event.dedupe_key.startswith(prefix, autoescape=True)
    )
    return set(session.scalars(query))


def _device_event_kind(
    session: Session,
    settings: Settings,
    t: DeviceTransition,
    anchor: str,
    outages: Callable[[], set[str]],
) -> EventKind | None:
    """Which event this device's outcome raises, if any (dedupe is by the anchor);
    ``outages()``: the site's unreachable events' keys."""
    row = t.device
    if t.status == DeviceStatus.QUARANTINED:
        return EventKind.FETCH_QUARANTINED
    if t.status == DeviceStatus.FAILED and t.error_kind == "hostkey":
        return EventKind.HOSTKEY_CHANGED
    if t.status == DeviceStatus.FAILED:
        if _failed_streak(session, row.id, settings.notify.unreachable_after):
            return EventKind.DEVICE_UNREACHABLE
        return None
    unreachable = f"{EventKind.DEVICE_UNREACHABLE}:{row.id}:{anchor}"
    return EventKind.DEVICE_RECOVERED if unreachable in outages() else None


def _device_events(
    session: Session, settings: Settings, poll: Poll, transitions: list[DeviceTransition]
) -> list[Event]:
    """Unreachable once per outage (after N failed polls), recovered once after it; quarantine
    and host key changes once per streak without a good poll. An outage or a streak is named
    by its anchor: the device's last good poll before it."""
    key: FingerprintKey | None = None
    events = []
    outages = functools.cache(lambda: _outage_keys(session, settings.site.name))
    for t in transitions:
        anchor = t.previous_success.isoformat() if t.previous_success else "never"
        kind = _device_event_kind(session, settings, t, anchor, outages)
        if kind is None:
            continue
        key = key or FingerprintKey.load_or_create(settings.state_path)
        payload = _device_payload(t, _redacted(t.error, t.device.platform, key))
        event = record_event(
            session,
            settings,
            kind,
            f"{t.device.id}:{anchor}",
            payload=payload,
            device=t.device.name,
            poll_id=poll.id,
            at=poll.started_at,
            queue=False,
        )
        events += [event] if event else []
    return events


def _removal_events(
    session: Session, settings: Settings, poll: Poll, removals: list[Removal]
) -> list[Event]:
    """``device_removed`` once per removal (a device put back and removed again: once more)."""
    events = []
    for removal in removals:
        row = removal.device
        assert row.removed_at is not None
        payload = {
            "device": row.name,
            "platform": row.platform,
            "hostname": row.hostname,
            "port": row.port,
            "last_success_at": row.last_success_at.isoformat() if row.last_success_at else None,
            "removed_at": row.removed_at.isoformat(),
            "closed_items": [item_view(i).as_dict() for i in removal.items],
        }
        event = record_event(
            session,
            settings,
            EventKind.DEVICE_REMOVED,
            f"{row.id}:{row.removed_at.isoformat()}",
            payload=payload,
            device=row.name,
            poll_id=poll.id,
            at=poll.started_at,
            queue=False,
        )
        events += [event] if event else []
    return events


# --------------------------------------------------------------------------- heartbeat


def heartbeat_period(when: datetime, every: str, timezone: str) -> str:
    """The heartbeat period ``when`` falls in, in the site's timezone (``2026-W48``, a date)."""
    local = when.astimezone(ZoneInfo(timezone))
    if every == "daily":
        return local.date().isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def record_heartbeat(
    session: Session, settings: Settings, poll: Poll, transitions: list[DeviceTransition]
) -> Event | None:
    """The first poll of each period says "still watching", in a message of its own."""
    if settings.notify.heartbeat == "off":
        return None
    site = settings.site.name
    period = heartbeat_period(poll.started_at, settings.notify.heartbeat, settings.site.timezone)
    open_drift = session.scalar(
        select(func.count(DriftItem.id)).where(
            DriftItem.site == site, DriftItem.closed_at.is_(None)
        )
    )
    statuses = {s.value: sum(1 for t in transitions if t.status == s) for s in DeviceStatus}
    payload = {
        "period": period,
        "devices": len(transitions),
        "statuses": statuses,
        "open_drift": open_drift or 0,
    }
    return record_event(
        session, settings, EventKind.HEARTBEAT, period, payload=payload, at=poll.started_at
    )


# --------------------------------------------------------------------------- a poll


def record_poll_events(
    session: Session,
    settings: Settings,
    poll: Poll,
    transitions: list[DeviceTransition],
    removals: list[Removal] | None = None,
) -> list[Event]:
    """Every event a poll raises, in one outbox message per channel (the heartbeat apart).

    Called inside the poll's transaction, after its drift items and device rows are flushed:
    the events and their outbox messages commit, or roll back, with the poll.
    """
    session.flush()
    events = _drift_events(session, settings, poll)
    events += _device_events(session, settings, poll, transitions)
    events += _removal_events(session, settings, poll, removals or [])
    queue_message(session, settings, events, group_key=f"poll:{poll.id}", now=poll.started_at)
    heartbeat = record_heartbeat(session, settings, poll, transitions)
    return [*events, *([heartbeat] if heartbeat else [])]
