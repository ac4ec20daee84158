"""The fleet's monthly figures, read from the central database: per site of a client, and the
provider's ranking of every site.

The month is a calendar month in UTC: the central database folds device polls into UTC days
(``device_days``), so a fleet month is made of whole central days. Each figure has one
definition here (the docstrings of :class:`SiteMonth`); the documents only print them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, and_, func, not_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.errors import RefusedError
from prisme_drift.fleet import schema
from prisme_drift.fleet.central import check_schema, unreachable
from prisme_drift.report.monthly_input import TRANSITIONAL_EXPIRED, Month


@dataclass(frozen=True)
class SiteMonth:
    """One site's month.

    - ``devices``: devices polled at least once in the month;
    - ``polls``: poll cycles started in the month;
    - ``device_polls`` / ``good_polls``: device polls of the month, and those that brought back
      a trusted configuration (ok, unchanged, changed); ``success_ratio`` = good / all;
    - ``changes``: drift items opened in the month (expired transitional steps are follow-ups,
      not changes), ``authorized`` when an approved ticket covered them as the poll saw them,
      else ``unauthorized`` (whatever became of them: open, accepted, reverted);
    - ``open_unauthorized``: unauthorized changes opened before the month's end, still open then;
    - ``transitional_expired``: expired transitional steps still open at the month's end;
    - ``tickets_executed``: approved tickets whose window meets the month;
    - ``gap_days``: days of the month (from the site's first copied day, up to today) on which
      no device of the site had a good poll.
    """

    site: str
    client: str
    devices: int = 0
    polls: int = 0
    device_polls: int = 0
    good_polls: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    open_unauthorized: int = 0
    transitional_expired: int = 0
    tickets_executed: int = 0
    gap_days: int = 0

    @property
    def success_ratio(self) -> float | None:
        """Good device polls over all device polls of the month (None without any)."""
        return self.good_polls / self.device_polls if self.device_polls else None

    @property
    def unauthorized(self) -> int:
        """Unauthorized changes opened in the month."""
        return self.changes.get("unauthorized", 0)

    @property
    def has_data(self) -> bool:
        """Whether the site polled at all in the month."""
        return bool(self.polls or self.device_polls)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the success ratio."""
        return {**asdict(self), "success_ratio": self.success_ratio}


@dataclass(frozen=True)
class ClientMonth:
    """A client's sites in the month, by site name."""

    client: str
    sites: tuple[SiteMonth, ...]


def _day_bounds(month: Month) -> tuple[date, date]:
    return month.first_day, month.last_day


def _sites(connection: Connection) -> dict[str, str]:
    s = schema.sites.c
    return {row.site: row.client for row in connection.execute(select(s.site, s.client))}


def _day_figures(connection: Connection, month: Month) -> dict[str, dict[str, int]]:
    d = schema.device_days.c
    first, last = _day_bounds(month)
    good = d.ok + d.unchanged + d.changed
    query = (
        select(
            d.site,
            func.count(func.distinct(d.device_id)),
            func.sum(d.polls),
            func.sum(good),
        )
        .where(d.day >= first, d.day <= last)
        .group_by(d.site)
    )
    return {
        row[0]: {"devices": row[1], "device_polls": int(row[2] or 0), "good_polls": int(row[3])}
        for row in connection.execute(query)
    }


def _gap_days(connection: Connection, month: Month, today: date) -> dict[str, int]:
    d = schema.device_days.c
    first, last = _day_bounds(month)
    starts = dict(connection.execute(select(d.site, func.min(d.day)).group_by(d.site)).all())
    good = select(d.site, d.day).where(d.ok + d.unchanged + d.changed > 0)
    good = good.where(d.day >= first, d.day <= last).group_by(d.site, d.day)
    covered: dict[str, set[date]] = defaultdict(set)
    for site, day in connection.execute(good):
        covered[site].add(day)
    gaps = {}
    for site, start in starts.items():
        begin, end = max(first, start), min(last, today)
        days = (end - begin).days + 1
        gaps[site] = max(0, days - len({x for x in covered[site] if begin <= x <= end}))
    return gaps


def _polls(connection: Connection, month: Month) -> dict[str, int]:
    p = schema.polls.c
    query = select(p.site, func.count()).where(p.started_at >= month.start)
    query = query.where(p.started_at < month.end).group_by(p.site)
    return dict(connection.execute(query).all())


def _changes(connection: Connection, month: Month) -> dict[str, dict[str, int]]:
    """As the site's summary: authorized = covered by a ticket when the poll first saw it (closed
    by that poll); everything else (open, accepted, reverted later) is unauthorized."""
    i = schema.drift_items.c
    at_once = and_(i.verdict == "authorized", i.closed_at == i.opened_at)
    query = (
        select(i.site, func.count().filter(at_once), func.count().filter(not_(at_once)))
        .where(i.opened_at >= month.start, i.opened_at < month.end)
        .where(or_(i.reason.is_(None), i.reason != TRANSITIONAL_EXPIRED))
        .group_by(i.site)
    )
    return {
        site: {"authorized": authorized, "unauthorized": unauthorized}
        for site, authorized, unauthorized in connection.execute(query)
    }


def _open_at_end(connection: Connection, month: Month) -> dict[str, tuple[int, int]]:
    """Items still open at the month's end; none was authorized at once (the poll that saw those
    closed them), so every change among them is unauthorized, even if accepted since."""
    i = schema.drift_items.c
    still_open = and_(i.opened_at < month.end, or_(i.closed_at.is_(None), i.closed_at >= month.end))
    query = (
        select(
            i.site,
            func.count().filter(i.reason.is_distinct_from(TRANSITIONAL_EXPIRED)),
            func.count().filter(i.reason == TRANSITIONAL_EXPIRED),
        )
        .where(still_open)
        .group_by(i.site)
    )
    return {row[0]: (row[1], row[2]) for row in connection.execute(query)}


def _tickets(connection: Connection, month: Month) -> dict[str, int]:
    t = schema.tickets.c
    query = select(t.site, t.data).where(t.status.in_(("approved", "closed")))
    found: dict[str, int] = defaultdict(int)
    for site, data in connection.execute(query):
        try:
            ticket = Ticket.model_validate(data)
        except ValidationError:
            continue  # the site validated it; a newer schema this version cannot read
        if authorizes(ticket) and ticket.start < month.end and ticket.end >= month.start:
            found[site] += 1
    return found


def _site_month(site: str, client: str, parts: dict[str, Any]) -> SiteMonth:
    days = parts["days"].get(site, {})
    unauthorized, expired = parts["open"].get(site, (0, 0))
    return SiteMonth(
        site=site,
        client=client,
        devices=days.get("devices", 0),
        polls=parts["polls"].get(site, 0),
        device_polls=days.get("device_polls", 0),
        good_polls=days.get("good_polls", 0),
        changes=parts["changes"].get(site, {"authorized": 0, "unauthorized": 0}),
        open_unauthorized=unauthorized,
        transitional_expired=expired,
        tickets_executed=parts["tickets"].get(site, 0),
        gap_days=parts["gaps"].get(site, 0),
    )


def fleet_month(engine: Engine, month: Month, today: date) -> list[SiteMonth]:
    """Every site's month, by client then site (sites without any poll in the month too)."""
    check_schema(engine)
    try:
        with engine.connect() as connection:
            clients = _sites(connection)
            parts = {
                "days": _day_figures(connection, month),
                "polls": _polls(connection, month),
                "changes": _changes(connection, month),
                "open": _open_at_end(connection, month),
                "tickets": _tickets(connection, month),
                "gaps": _gap_days(connection, month, today),
            }
    except SQLAlchemyError as exc:
        raise unreachable(engine, "read", exc) from None
    lines = [_site_month(site, client, parts) for site, client in clients.items()]
    return sorted(lines, key=lambda s: (s.client, s.site))


def by_client(lines: list[SiteMonth], month: Month, client: str | None) -> list[ClientMonth]:
    """The clients with data in the month (or only ``client``); RefusedError when none has."""
    known = sorted({s.client for s in lines})
    if client is not None and client not in known:
        raise RefusedError(
            f"fleet report monthly: no site of client {client!r} in the central database "
            f"(clients: {', '.join(known) or 'none yet'}); check --client"
        )
    grouped: dict[str, list[SiteMonth]] = defaultdict(list)
    for line in lines:
        if line.has_data and client in (None, line.client):
            grouped[line.client].append(line)
    if not grouped:
        who = f"client {client!r}" if client else "any client"
        raise RefusedError(
            f"fleet report monthly: no poll of {who} in {month.label} in the central database; "
            "pick another --month, or check that the sites sync (prisme-drift fleet status)"
        )
    return [ClientMonth(name, tuple(sites)) for name, sites in sorted(grouped.items())]


def ranking(lines: list[SiteMonth], key: str) -> list[SiteMonth]:
    """Sites with data, worst first by ``unauthorized`` changes or ``gap_days``, then by name."""
    with_data = [s for s in lines if s.has_data]
    return sorted(with_data, key=lambda s: (-int(getattr(s, key)), s.client, s.site))


def month_days(month: Month, today: date) -> int:
    """Days of the month counted so far (the whole month once it is over)."""
    return max(0, (min(month.last_day, today) - month.first_day + timedelta(days=1)).days)
