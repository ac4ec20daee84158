"""What the device page shows, read from the central database and the site's git repository.

No HTTP here: :mod:`prisme_drift.web.pages_device` checks the user and the site (scope) first,
then asks these functions for one site's rows only, always filtered by ``site``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from prisme_drift.errors import BaselineError, RefusedError
from prisme_drift.fleet import schema
from prisme_drift.fleet.history import COMMIT, DeviceDiff, HistoryPage, SiteHistory
from prisme_drift.timefmt import parse_time, zone

log = logging.getLogger(__name__)

#: History entries per page of the device page.
PER_PAGE = 30


@dataclass(frozen=True)
class StateView:
    """The device's latest structured state as the page's tables show it."""

    collected_at: str | None
    facts: dict[str, Any]
    vlans: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    neighbors: list[dict[str, Any]]


@dataclass
class HistoryView:
    """The history part of the page: ``status`` is ``ok``, ``no_git_root`` (the web page was
    started without ``--git-root``) or ``not_pushed`` (no repository for the site yet)."""

    status: str
    page: HistoryPage | None = None
    diff: DeviceDiff | None = None
    diff_asked: bool = False
    diff_error: str | None = None  # a catalog key: web.device.diff.bad_point...
    points: dict[str, str] = field(default_factory=dict)

    @property
    def diff_lines(self) -> list[tuple[str, str]]:
        """The diff's lines with their kind, for the page's colours: ``add``, ``del``,
        ``hunk``, ``meta`` (file names, index) or ``same``."""
        return [(_kind(line), line) for line in (self.diff.lines if self.diff else ())]


def _kind(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ", "new file", "deleted file")):
        return "meta"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


def device_row(connection: Connection, site: str, name: str) -> Any:
    """The device ``name`` of ``site`` (None when that site has no such device)."""
    devices = schema.devices
    query = select(devices).where(devices.c.site == site, devices.c.name == name)
    return connection.execute(query).first()


def site_timezone(connection: Connection, site: str) -> str:
    """The site's IANA time zone (UTC when unknown)."""
    sites = schema.sites
    found = connection.scalar(select(sites.c.timezone).where(sites.c.site == site))
    return str(found or "UTC")


def state_view(connection: Connection, site: str, device_id: int) -> StateView | None:
    """The device's latest copied state, None before the site copied one."""
    states = schema.device_states
    query = select(states.c.state).where(states.c.site == site, states.c.device_id == device_id)
    state = connection.scalar(query)
    if not isinstance(state, dict):
        return None
    interfaces = [i for i in _list(state, "interfaces") if i.get("addresses")]
    return StateView(
        collected_at=state.get("collected_at"),
        facts=state.get("facts") or {},
        vlans=[{"ports": [], "name": None, **v} for v in _list(state, "vlans")],
        addresses=[{"vrf": None, **i} for i in interfaces],
        neighbors=[
            {"remote_name": None, "remote_port": None, "protocol": "", **n}
            for n in _list(state, "neighbors")
        ],
    )


def _list(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = state.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def parse_point(value: str, timezone: str) -> datetime | str:
    """A history entry (commit id) or a time a person gave: a date alone is the end of that day
    in the site's time zone (the configuration as it stood that day); ValueError when neither."""
    text = value.strip()
    if COMMIT.fullmatch(text):
        return text
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59), zone(timezone))
    return parse_time(text, timezone)


def history_view(
    git_root: Path | None,
    site: str,
    device: str,
    page: int,
    points: dict[str, str],
    timezone: str,
) -> HistoryView:
    """One page of the device's history and, when ``points`` has ``from`` and ``to``, the diff
    between them."""
    if git_root is None:
        return HistoryView("no_git_root", points=points)
    try:
        with SiteHistory(git_root, site) as history:
            view = HistoryView("ok", history.revisions(device, page=page, per_page=PER_PAGE))
            view.points = points
            if points.get("from") and points.get("to"):
                _diff(view, history, device, points, timezone)
            return view
    except (BaselineError, RefusedError) as exc:
        log.warning("device page %s/%s: %s", site, device, exc)
        return HistoryView("not_pushed", points=points)


def _diff(
    view: HistoryView, history: SiteHistory, device: str, points: dict[str, str], timezone: str
) -> None:
    view.diff_asked = True
    try:
        old = parse_point(points["from"], timezone)
        new = parse_point(points["to"], timezone)
    except ValueError:
        view.diff_error = "web.device.diff.bad_point"
        return
    try:
        view.diff = history.diff(device, old, new)
    except RefusedError:
        view.diff_error = "web.device.diff.unknown_commit"
        return
    if view.diff is None:
        view.diff_error = "web.device.diff.before_first"
