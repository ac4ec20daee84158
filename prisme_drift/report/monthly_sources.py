"""What the monthly summary reads from a site: the database (polls, drift items, events), the
tickets of every source and the git baseline (each device's identity at both ends of the month).

Only the month and the one before it are read (the "En bref" compares them; the month before's
device polls summed per device and status), plus the changes made under tickets, which
transitional steps need whatever their age.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from prisme_drift.config import Settings
from prisme_drift.report.monthly_input import (
    DevicePollRow,
    DeviceRow,
    EventRow,
    Identity,
    ItemRow,
    Month,
    MonthInput,
)
from prisme_drift.report.notes import interventions_folder, report_stem

log = logging.getLogger(__name__)
EVENT_KINDS = ("hostkey_changed", "device_removed")


def _items(session: Session, site: str, since: datetime, end: datetime) -> tuple[ItemRow, ...]:
    from prisme_drift.store.models import Device, DriftItem

    query = (
        select(DriftItem, Device.name)
        .join(Device, Device.id == DriftItem.device_id)
        .where(
            DriftItem.site == site,
            DriftItem.opened_at < end,
            or_(
                DriftItem.closed_at.is_(None),
                DriftItem.closed_at >= since,
                DriftItem.ticket_id.is_not(None),
            ),
        )
        .order_by(DriftItem.opened_at, DriftItem.id)
    )
    return tuple(
        ItemRow(
            id=i.id,
            device=name,
            category=i.category,
            path=tuple(i.path),
            removed=tuple(i.removed),
            added=tuple(i.added),
            verdict=i.verdict,
            reason=i.reason,
            ticket_id=i.ticket_id,
            appeared_after=i.appeared_after,
            opened_at=i.opened_at,
            closed_at=i.closed_at,
            close_reason=i.close_reason,
            accepted_by=i.accepted_by,
            accept_reason=i.accept_reason,
        )
        for i, name in session.execute(query)
    )


def _polls(session: Session, site: str, since: datetime, end: datetime) -> tuple[datetime, ...]:
    from prisme_drift.store.models import Poll

    query = select(Poll.started_at).where(
        Poll.site == site, Poll.started_at >= since, Poll.started_at < end
    )
    return tuple(sorted(session.scalars(query)))


def _device_polls(session: Session, site: str, month: Month) -> tuple[DevicePollRow, ...]:
    """The month's device polls one by one; the month before's, one row per device and status
    (how many, the last one's time): its figures and an outage running into the month need no
    more, and a year-old site's month is read in half the rows."""
    from sqlalchemy import func

    from prisme_drift.store.models import Device, DevicePoll, Poll

    before = month.previous()
    # through the polls of the period: device_polls is indexed by poll, not by time
    polls = select(Poll.id).where(
        Poll.site == site, Poll.started_at >= before.start, Poll.started_at < month.end
    )
    period = (
        select(Device.name, DevicePoll.at, DevicePoll.status)
        .join(Device, Device.id == DevicePoll.device_id)
        .where(DevicePoll.poll_id.in_(polls))
    )
    summed = (
        period.with_only_columns(
            Device.name, func.max(DevicePoll.at), DevicePoll.status, func.count()
        )
        .where(DevicePoll.at < month.start)
        .group_by(Device.name, DevicePoll.status)
    )
    detail = period.where(DevicePoll.at >= month.start)
    rows = [DevicePollRow(n, at, s, c) for n, at, s, c in session.execute(summed)]
    rows.sort(key=lambda r: (r.at, r.device))
    rows += [DevicePollRow(n, at, s) for n, at, s in session.execute(detail.order_by(
        DevicePoll.at, Device.name))]  # fmt: skip
    return tuple(rows)


def _devices(session: Session, site: str) -> tuple[DeviceRow, ...]:
    from prisme_drift.store.models import Device, DevicePoll

    # the first poll of each device: the first of its rows in the device_id index (row order)
    first = (
        select(DevicePoll.at)
        .where(DevicePoll.device_id == Device.id)
        .order_by(DevicePoll.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Device.name, first, Device.removed_at)
        .where(Device.site == site)
        .order_by(Device.name)
    )
    return tuple(DeviceRow(n, f, r) for n, f, r in session.execute(query))


def _events(session: Session, site: str, since: datetime, end: datetime) -> tuple[EventRow, ...]:
    from prisme_drift.store.models import Event

    query = select(Event.kind, Event.device, Event.created_at).where(
        Event.site == site,
        Event.kind.in_(EVENT_KINDS),
        Event.created_at >= since,
        Event.created_at < end,
    )
    return tuple(EventRow(k, d, at) for k, d, at in session.execute(query))


def identities(settings: Settings, when: datetime, names: list[str]) -> dict[str, Identity]:
    """Each device's serial, model and OS on the observed branch as it stood at ``when``."""
    from git import GitCommandError

    from prisme_drift.baseline.store import OBSERVED, BaselineRepo, device_paths

    site = settings.site.name
    found: dict[str, Identity] = {}
    with BaselineRepo(settings.baseline_path, site) as repo:
        if repo.head(OBSERVED) is None:
            return found
        try:
            rev = str(
                repo.repo.git.rev_list(
                    "-1", f"--before={when.isoformat()}", f"refs/heads/{OBSERVED}"
                )
            ).strip()
        except GitCommandError:
            return found
        if not rev:
            return found
        for name in names:
            text = repo.read_file(rev, device_paths(site, name)[1])
            if text:
                facts = json.loads(text)
                found[name] = Identity(
                    serial=str(facts.get("serial_number") or ""),
                    model=str(facts.get("model") or ""),
                    os_version=str(facts.get("os_version") or ""),
                )
    return found


def _intervention_reports(folder: Path, site: str, ticket_ids: list[str]) -> dict[str, str]:
    """Intervention reports already written for the month's tickets (file name by ticket):
    ``<folder>/<site>-<ticket>.pdf``, where ``report intervention`` writes them."""
    found = {}
    for ticket in ticket_ids:
        pdf = folder / f"{report_stem(site, ticket)}.pdf"
        if pdf.is_file():
            found[ticket] = pdf.name
    return found


def month_input(settings: Settings, month: Month, now: datetime) -> MonthInput:
    """Everything the summary of ``month`` needs, from the site's stores."""
    from prisme_drift.authorize.service import all_tickets
    from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

    site = settings.site.name
    since, end = month.previous().start, month.end
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            items = _items(session, site, since, end)
            polls = _polls(session, site, since, end)
            device_polls = _device_polls(session, site, month)
            devices = _devices(session, site)
            events = _events(session, site, since, end)
    finally:
        engine.dispose()
    tickets = tuple(all_tickets(settings))
    names = [d.name for d in devices]
    return MonthInput(
        site=site,
        client=settings.site.client,
        month=month,
        generated_at=now,
        polls=polls,
        device_polls=device_polls,
        devices=devices,
        items=items,
        tickets=tickets,
        events=events,
        identity_before=identities(settings, month.start, names),
        identity_after=identities(settings, month.end, names),
        intervention_reports=_intervention_reports(
            interventions_folder(settings), site, [t.id for t in tickets]
        ),
    )
