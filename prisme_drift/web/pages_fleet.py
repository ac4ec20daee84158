"""The fleet overview: one line per site the user may see, with its status (a colour and a
word, :mod:`prisme_drift.web.status`), its counts and its last sync; a provider user filters
by client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.fleet.schema import sites
from prisme_drift.fleet.views import SiteLine, site_lines
from prisme_drift.timefmt import utcnow
from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine
from prisme_drift.web.render import render
from prisme_drift.web.scope import visible_sites
from prisme_drift.web.status import STATUSES, site_status


@dataclass(frozen=True)
class OverviewRow:
    """One site of the overview."""

    line: SiteLine
    status: str
    timezone: str


def overview(request: Request) -> Response:
    """Every visible site (of one client with ``?client=``, provider users only)."""
    user = require_user(request)
    with engine(request).connect() as connection:
        names = visible_sites(connection, user)
        s = sites.c
        query = select(s.site, s.client, s.sync_every_s, s.timezone).where(s.site.in_(names))
        known: dict[str, Any] = {row.site: row for row in connection.execute(query)}
    clients = sorted({row.client for row in known.values()})
    wanted = request.query_params.get("client", "") if user.is_provider else ""
    if wanted:
        names = [name for name in names if known[name].client == wanted]
    now = utcnow()
    rows = [
        OverviewRow(line, site_status(line, known[line.site].sync_every_s, now),
                    known[line.site].timezone)
        for line in site_lines(engine(request), sites=names)
    ]  # fmt: skip
    counts = {status: sum(1 for r in rows if r.status == status) for status in STATUSES}
    context = {"rows": rows, "counts": counts, "clients": clients, "wanted": wanted}
    return render(request, "fleet.html", context)


routes = [Route("/", overview, methods=["GET"])]
