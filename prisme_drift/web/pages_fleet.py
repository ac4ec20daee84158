"""The fleet overview: one line per site the user may see."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.fleet.views import site_lines
from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine
from prisme_drift.web.render import render
from prisme_drift.web.scope import visible_sites


async def overview(request: Request) -> Response:
    """Every visible site with its counts and last sync."""
    user = require_user(request)
    with engine(request).connect() as connection:
        names = visible_sites(connection, user)
    lines = site_lines(engine(request), sites=names)
    return render(request, "fleet.html", {"lines": lines})


routes = [Route("/", overview, methods=["GET"])]
