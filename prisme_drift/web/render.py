"""Pages from Jinja2 templates (autoescape on) worded by the web area's gettext catalogs.

The catalogs are ``web/locale/<lang>/LC_MESSAGES/messages.po`` (ids ``web.*``), read by the one
catalog mechanism of :mod:`prisme_drift.i18n`. Every template gets ``user`` (None when
anonymous), ``csrf`` (the token every form posts back) and ``lang``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from prisme_drift.i18n import Catalogs
from prisme_drift.timefmt import local_time
from prisme_drift.web.auth import csrf_token, current_user, keep_login_csrf
from prisme_drift.web.context import web_config

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CATALOGS = Catalogs(HERE / "locale")


@lru_cache(maxsize=4)
def environment(lang: str) -> jinja2.Environment:
    """The Jinja2 environment of one language (built once)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(CATALOGS.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = _when
    env.globals["lang"] = lang
    return env


def _when(value: datetime | str | None, timezone: str = "UTC", empty: str = "—") -> str:
    """A time to the minute in ``timezone`` with its offset; ``empty`` when there is none."""
    text = local_time(value, timezone, empty=empty)
    date, _, rest = text.partition(" ")
    clock, _, offset = rest.partition(" ")
    return f"{date} {clock[:5]} {offset}".strip() if clock else text


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context``, plus ``user``, ``csrf`` and ``request``; never
    stored by a browser or a proxy (pages carry the client's data)."""
    env = environment(web_config(request).lang)
    values = {"user": current_user(request), "csrf": csrf_token(request), "request": request}
    html = env.get_template(template).render({**values, **context})
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    keep_login_csrf(request, response)
    return response


def words(request: Request, key: str, **params: object) -> str:
    """One message of the web catalog in the application's language (for Python callers)."""
    return CATALOGS.words(web_config(request).lang)(key, **params)
