"""The site page: devices, open drift with its diff and summary, tickets, documents, changes
per week."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.fleet.schema import sites
from prisme_drift.fleet.siteview import (
    WeekChanges,
    site_devices,
    site_reports,
    site_tickets,
    weekly_changes,
)
from prisme_drift.fleet.views import FleetItem, open_items, site_lines
from prisme_drift.i18n import Words
from prisme_drift.models import DriftView
from prisme_drift.notify.document import words as alert_words
from prisme_drift.notify.notifier import Wording
from prisme_drift.notify.sections.chat import one_line_summary
from prisme_drift.notify.sections.common import category_label
from prisme_drift.report.charts import Series, stacked_columns
from prisme_drift.timefmt import utcnow
from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine, web_config
from prisme_drift.web.render import CATALOGS, render
from prisme_drift.web.scope import require_site
from prisme_drift.web.status import site_status


@dataclass(frozen=True)
class ItemRow:
    """An open drift item as the page shows it: its category in words, a one-line summary
    (the chat alerts' own) and the diff lines, redacted as the site stored them."""

    item: FleetItem
    category: str
    summary: str
    lines: tuple[str, ...]


def _item_row(item: FleetItem, lang: str) -> ItemRow:
    view = DriftView(
        id=item.id, site=item.site, device=item.device, category=item.category,
        verdict=item.verdict, reason=item.reason, opened_at=item.opened_at, closed_at=None,
        close_reason=None, appeared_after=None, path=tuple(item.path),
        removed=tuple(item.removed), added=tuple(item.added),
    )  # fmt: skip
    summary = one_line_summary(view, Wording(language=lang))
    category = category_label(item.category, alert_words(lang))
    context = tuple(f"  {p}" for p in item.path)
    return ItemRow(item, category, summary, context + tuple(view.lines()))


def week_chart(weeks: list[WeekChanges], w: Words) -> Markup:
    """Changes per week by verdict, as SVG (labels escaped by the chart)."""
    labels = [w("web.site.week", week=week.start.isocalendar().week) for week in weeks]
    series = [
        Series(w("web.verdict.unauthorized"), tuple(x.unauthorized for x in weeks)),
        Series(w("web.verdict.accepted"), tuple(x.accepted for x in weeks)),
        Series(w("web.verdict.authorized"), tuple(x.authorized for x in weeks)),
    ]
    return Markup(stacked_columns(labels, series, width=640))  # noqa: S704 (our own SVG)


def site_page(request: Request) -> Response:
    """One site the user may see (404 otherwise, whether it exists or not)."""
    user = require_user(request)
    site = request.path_params["site"]
    lang = web_config(request).lang
    with engine(request).connect() as connection:
        require_site(connection, user, site)
        row: Any = connection.execute(select(sites).where(sites.c.site == site)).one()
        devices = site_devices(connection, site)
        tickets = site_tickets(connection, site)
        reports = site_reports(connection, site)
        weeks = weekly_changes(connection, site, utcnow().date())
    line = site_lines(engine(request), sites=[site])[0]
    items = [_item_row(item, lang) for item in open_items(engine(request), site=site)]
    context = {
        "site": site,
        "info": row,
        "line": line,
        "status": site_status(line, row.sync_every_s, utcnow()),
        "devices": devices,
        "items": items,
        "tickets": tickets,
        "reports": reports,
        "chart": week_chart(weeks, CATALOGS.words(lang)),
        "changes": sum(w.authorized + w.accepted + w.unauthorized for w in weeks),
    }
    return render(request, "site.html", context)


routes = [Route("/sites/{site}", site_page, methods=["GET"])]
