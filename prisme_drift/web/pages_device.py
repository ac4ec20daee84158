"""The device page (state, history, diff between two dates) and the documents' download.

Handlers are plain functions: Starlette runs them in its thread pool, so the database and git
reads never block the event loop. Every read goes through :func:`scope.require_site` first; a
device or document of a site the user may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.fleet import schema
from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine, web_config
from prisme_drift.web.device_view import (
    device_row,
    history_view,
    site_timezone,
    state_view,
)
from prisme_drift.web.render import render
from prisme_drift.web.scope import require_site

#: Content types of the documents a site copies (report_files lists PDF and HTML only).
CONTENT_TYPES = {".pdf": "application/pdf", ".html": "text/html; charset=utf-8"}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1


def device_page(request: Request) -> Response:
    """A device of a site the user may see: header, structured state, history, diff."""
    user = require_user(request)
    site, name = request.path_params["site"], request.path_params["device"]
    with engine(request).connect() as connection:
        require_site(connection, user, site)
        device = device_row(connection, site, name)
        if device is None:
            raise HTTPException(404)
        timezone = site_timezone(connection, site)
        state = state_view(connection, site, device.id)
    points = {k: request.query_params.get(k, "").strip() for k in ("from", "to")}
    history = history_view(
        web_config(request).git_root, site, name, _page_number(request), points, timezone
    )
    status = 400 if history.diff_error == "web.device.diff.bad_point" else 200
    context = {
        "site": site,
        "device": device,
        "state": state,
        "history": history,
        "timezone": timezone,
    }
    return render(request, "device.html", context, status=status)


def _disposition(path: str) -> str:
    """``attachment`` with the file's name: plain ASCII, and its exact UTF-8 form (RFC 6266)."""
    name = PurePosixPath(path).name
    fallback = _UNSAFE_FILENAME.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def report_download(request: Request) -> Response:
    """A document of a site the user may see, as the site copied it: only a path the site
    listed in ``report_files`` and whose bytes it copied; 404 otherwise."""
    user = require_user(request)
    site, path = request.path_params["site"], request.path_params["path"]
    content_type = CONTENT_TYPES.get(PurePosixPath(path).suffix.lower())
    files, contents = schema.report_files, schema.report_contents
    query = (
        select(contents.c.content)
        .select_from(files)
        .join(contents, (contents.c.site == files.c.site) & (contents.c.path == files.c.path))
        .where(files.c.site == site, files.c.path == path)
    )
    with engine(request).connect() as connection:
        require_site(connection, user, site)
        content = connection.scalar(query)
    if content is None or content_type is None:
        raise HTTPException(404)
    headers = {"Content-Disposition": _disposition(path), "Cache-Control": "no-store"}
    return Response(bytes(content), media_type=content_type, headers=headers)


routes = [
    Route("/sites/{site}/devices/{device}", device_page, methods=["GET"]),
    Route("/sites/{site}/reports/{path:path}", report_download, methods=["GET"]),
]
