"""What the provider reads from the central database: one line per site, the open drift.

Run as the owner of the central tables (or a role allowed to read every site): a site's role
sees only its own site through the row-level security policies.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.exc import SQLAlchemyError

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.fleet import schema
from prisme_drift.fleet.central import (
    URL_ENV,
    central_engine,
    check_schema,
    read_password,
    unreachable,
)
from prisme_drift.timefmt import iso

_FAILING = ("failed", "quarantined")


@dataclass(frozen=True)
class SiteLine:
    """One site as ``fleet status`` shows it."""

    site: str
    client: str
    last_sync: datetime | None
    last_poll: datetime | None
    devices: int
    failing: int
    open_unauthorized: int
    transitional_expired: int
    last_monthly_report: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times in ISO 8601 UTC."""
        data = asdict(self)
        data["last_sync"], data["last_poll"] = iso(self.last_sync), iso(self.last_poll)
        return data


@dataclass(frozen=True)
class FleetItem:
    """One open drift item of one site."""

    site: str
    client: str
    device: str
    id: int
    category: str
    verdict: str
    reason: str | None
    ticket_id: str | None
    opened_at: datetime
    last_seen_at: datetime
    path: list[str]
    removed: list[str]
    added: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times in ISO 8601 UTC."""
        data = asdict(self)
        data["opened_at"], data["last_seen_at"] = iso(self.opened_at), iso(self.last_seen_at)
        return data


def open_central(
    url: str | None, settings: Settings | None, password_file: Path | None = None
) -> Engine:
    """The central database of ``--url``, else ``$PRISME_FLEET_URL``, else ``[fleet] url`` (with
    its password file); ConfigError when none is given."""
    url = url or os.environ.get(URL_ENV)
    base = None
    if url is None and settings is not None and settings.fleet is not None:
        url, base = settings.fleet.url, settings.source.parent
        password_file = password_file or settings.fleet.password_file
    if url is None:
        raise ConfigError(
            f"no central fleet database: give --url postgresql://ROLE@HOST/DATABASE, set "
            f"${URL_ENV}, or set [fleet] url in the settings file"
        )
    timeout = settings.fleet.timeout_seconds if settings and settings.fleet else 60.0
    return central_engine(url, read_password(password_file, base), timeout)


def site_lines(engine: Engine, sites: Collection[str] | None = None) -> list[SiteLine]:
    """Every site (or only those of ``sites``: none when it is empty), by name, with its
    counts."""
    check_schema(engine)
    try:
        with engine.connect() as connection:
            devices = _by_site(connection, _device_counts(), sites)
            drift = _by_site(connection, _drift_counts(), sites)
            monthly = _by_site(connection, _last_monthly(), sites)
            query = select(schema.sites).order_by(schema.sites.c.site)
            if sites is not None:
                query = query.where(schema.sites.c.site.in_(list(sites)))
            found = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise unreachable(engine, "read", exc) from None
    return [_line(row, devices, drift, monthly) for row in found]


def _by_site(
    connection: Any, query: Any, sites: Collection[str] | None = None
) -> dict[str, tuple[Any, ...]]:
    if sites is not None:  # the query's first column is the site
        query = query.where(query.selected_columns[0].in_(list(sites)))
    return {row[0]: tuple(row[1:]) for row in connection.execute(query)}


def _device_counts() -> Any:
    d = schema.devices.c
    present = d.removed_at.is_(None)
    failing = and_(present, d.last_status.in_(_FAILING))
    return select(d.site, func.count().filter(present), func.count().filter(failing)).group_by(
        d.site
    )


def _drift_counts() -> Any:
    i = schema.drift_items.c
    return (
        select(
            i.site,
            func.count().filter(i.verdict == "unauthorized"),
            func.count().filter(i.reason == "transitional_expired"),
        )
        .where(i.closed_at.is_(None))
        .group_by(i.site)
    )


def _last_monthly() -> Any:
    r = schema.report_files.c
    return select(r.site, func.max(r.path)).where(r.kind == "monthly").group_by(r.site)


def _line(
    row: Any, devices: dict[str, Any], drift: dict[str, Any], monthly: dict[str, Any]
) -> SiteLine:
    count, failing = devices.get(row.site, (0, 0))
    unauthorized, expired = drift.get(row.site, (0, 0))
    return SiteLine(
        site=row.site,
        client=row.client,
        last_sync=row.last_sync_at,
        last_poll=row.last_poll_at,
        devices=count,
        failing=failing,
        open_unauthorized=unauthorized,
        transitional_expired=expired,
        last_monthly_report=monthly.get(row.site, (None,))[0],
    )


def open_items(
    engine: Engine, site: str | None = None, client: str | None = None
) -> list[FleetItem]:
    """Open drift items of every site (or one site, or one client's sites), oldest first."""
    check_schema(engine)
    i, d, s = schema.drift_items.c, schema.devices.c, schema.sites.c
    query = (
        select(*i, d.name.label("device"), s.client)
        .join_from(schema.drift_items, schema.devices, and_(d.site == i.site, d.id == i.device_id))
        .join(schema.sites, s.site == i.site)
        .where(i.closed_at.is_(None))
        .order_by(i.site, i.opened_at, i.id)
    )
    if site:
        query = query.where(i.site == site)
    if client:
        query = query.where(s.client == client)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise unreachable(engine, "read", exc) from None
    return [_item(row) for row in rows]


def _item(row: Any) -> FleetItem:
    return FleetItem(
        site=row.site,
        client=row.client,
        device=row.device,
        id=row.id,
        category=row.category,
        verdict=row.verdict,
        reason=row.reason,
        ticket_id=row.ticket_id,
        opened_at=row.opened_at,
        last_seen_at=row.last_seen_at,
        path=list(row.path),
        removed=list(row.removed),
        added=list(row.added),
    )
