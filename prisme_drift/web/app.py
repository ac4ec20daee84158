"""The ASGI application: routes of the page modules, static files, error pages, security
headers."""

from __future__ import annotations

import base64
import hashlib
import logging

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prisme_drift.errors import FleetError
from prisme_drift.fleet.central import central_engine, check_schema, read_password, unreachable
from prisme_drift.report.charts import STYLE as CHART_STYLE
from prisme_drift.web import (
    pages_admin,
    pages_device,
    pages_fleet,
    pages_login,
    pages_plans,
    pages_site,
)
from prisme_drift.web.config import WebConfig
from prisme_drift.web.context import engine as engine_of
from prisme_drift.web.render import STATIC, render

log = logging.getLogger(__name__)

#: The charts' one inline style, allowed by its hash (no 'unsafe-inline').
_CHART_HASH = base64.b64encode(hashlib.sha256(CHART_STYLE.encode()).digest()).decode()
#: No script at all, styles from our own files, no framing, forms post to us only.
CSP = (
    f"default-src 'none'; style-src 'self' 'sha256-{_CHART_HASH}'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (static files and errors too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def http_error(request: Request, exc: Exception) -> Response:
    """Redirections raised by ``require_user``; a page for 403, 404...; the status kept."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (302, 303) and exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    return render(request, "error.html", {"status": exc.status_code}, status=exc.status_code)


def unavailable(request: Request, exc: Exception) -> Response:
    """The central database failed (unreachable, too slow, a grant missing): a 503 page, and
    one log line with the error's first line (no SQL, no parameters, password masked)."""
    if isinstance(exc, SQLAlchemyError):
        exc = unreachable(engine_of(request), "read or write", exc)
    log.error("web: %s %s: %s", request.method, request.url.path, exc)
    request.state.web_session = None  # the page is rendered without asking the database again
    return render(request, "error.html", {"status": 503}, status=503)


def page_routes() -> list[BaseRoute]:
    """The routes of the page modules, then the static files."""
    routes: list[BaseRoute] = []
    for module in (pages_login, pages_fleet, pages_site, pages_device, pages_plans, pages_admin):
        routes.extend(module.routes)
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    return routes


def create_app(config: WebConfig, engine: Engine | None = None) -> Starlette:
    """The web application on the central database (``engine`` given by tests; else one on
    ``config.url`` with the password of ``config.password_file``). Refuses a central schema
    that is not at this version's revision."""
    if engine is None:
        engine = central_engine(config.url, read_password(config.password_file))
    check_schema(engine)
    handlers = {HTTPException: http_error, SQLAlchemyError: unavailable, FleetError: unavailable}
    app = Starlette(routes=page_routes(), exception_handlers=handlers)
    app.add_middleware(SecurityHeaders)
    app.state.config = config
    app.state.engine = engine
    return app


def server(config: WebConfig, app: Starlette) -> uvicorn.Server:
    """The uvicorn server of ``app`` on ``config.listen``. uvicorn's own proxy-header handling
    is off: :func:`~prisme_drift.web.context.client_ip` believes ``X-Forwarded-For`` from
    ``trusted_proxies`` only. No access log (the audit trail records what matters)."""
    host, port = config.host_port()
    options = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level="warning",
        lifespan="off",
    )
    return uvicorn.Server(options)
