"""The site page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine
from prisme_drift.web.render import render
from prisme_drift.web.scope import require_site


async def site_page(request: Request) -> Response:
    """One site the user may see (404 otherwise)."""
    user = require_user(request)
    site = request.path_params["site"]
    with engine(request).connect() as connection:
        require_site(connection, user, site)
    return render(request, "site.html", {"site": site})


routes = [Route("/sites/{site}", site_page, methods=["GET"])]
