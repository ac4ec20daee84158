"""``prisme-drift fleet report monthly``: one document per client across its sites, and the
provider's overview, through the site documents' pipeline (``report/render.py``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date
from sqlalchemy import Engine

from prisme_drift.fleet.monthly import (
    ClientMonth,
    SiteMonth,
    by_client,
    fleet_month,
    month_days,
    ranking,
)
from prisme_drift.report.i18n import gettext_for
from prisme_drift.report.monthly_input import Month, default_month, parse_month
from prisme_drift.report.notes import safe_name
from prisme_drift.report.render import RenderOptions, write_document

log = logging.getLogger(__name__)

#: The months of the fleet are UTC months: the central database counts UTC days.
ZONE = "UTC"


@dataclass(frozen=True)
class FleetMonthlyWritten:
    """What ``fleet report monthly`` wrote, and the figures it printed."""

    month: str
    lang: str
    clients: tuple[tuple[ClientMonth, dict[str, Path]], ...]
    overview: dict[str, Path]
    by_unauthorized: tuple[SiteMonth, ...]
    by_gaps: tuple[SiteMonth, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the files and every site's figures."""
        return {
            "month": self.month,
            "lang": self.lang,
            "clients": [
                {
                    "client": c.client,
                    **{fmt: str(path) for fmt, path in files.items()},
                    "sites": [s.as_dict() for s in c.sites],
                }
                for c, files in self.clients
            ],
            "overview": {
                **{fmt: str(path) for fmt, path in self.overview.items()},
                "by_unauthorized": [s.site for s in self.by_unauthorized],
                "by_gaps": [s.site for s in self.by_gaps],
            },
        }


def resolve_month(text: str | None, now: datetime) -> Month:
    """``--month`` or the previous calendar month, in UTC."""
    return parse_month(text, ZONE) if text else default_month(now, ZONE)


def _common(month: Month, now: datetime, options: RenderOptions) -> dict[str, Any]:
    title = format_date(month.first_day, "MMMM y", locale=options.lang)
    return {
        "month": month,
        "month_title": title[:1].upper() + title[1:],
        "days": month_days(month, now.date()),
        "generated_at": now,
    }


def _client_document(
    client: ClientMonth, month: Month, now: datetime, options: RenderOptions
) -> dict[str, Path]:
    context = {
        **_common(month, now, options),
        "client": client,
        "running_title": gettext_for(
            options.lang, "fleet_monthly.running_title", client=client.client, month=month.label
        ),
    }
    stem = f"fleet-{safe_name(client.client)}-{month.label}"
    return write_document(stem, "fleet_monthly.html", context, options)


def _overview(
    lines: list[SiteMonth], month: Month, now: datetime, options: RenderOptions
) -> tuple[dict[str, Path], list[SiteMonth], list[SiteMonth]]:
    unauthorized, gaps = ranking(lines, "unauthorized"), ranking(lines, "gap_days")
    context = {
        **_common(month, now, options),
        "by_unauthorized": unauthorized,
        "by_gaps": gaps,
        "running_title": gettext_for(
            options.lang, "fleet_overview.running_title", month=month.label
        ),
    }
    files = write_document(f"fleet-overview-{month.label}", "fleet_overview.html", context, options)
    return files, unauthorized, gaps


def write_fleet_monthly(
    engine: Engine,
    options: RenderOptions,
    *,
    client: str | None = None,
    month: str | None = None,
    now: datetime | None = None,
) -> FleetMonthlyWritten:
    """Every client's document of the month (or one client's) and the provider's overview
    (restricted to that client's sites with ``client``); RefusedError without data."""
    now = now or datetime.now(UTC)
    wanted = resolve_month(month, now)
    lines = fleet_month(engine, wanted, now.date())
    clients = by_client(lines, wanted, client)
    written = tuple((c, _client_document(c, wanted, now, options)) for c in clients)
    shown = [s for c in clients for s in c.sites]
    overview, unauthorized, gaps = _overview(shown, wanted, now, options)
    log.info("fleet monthly %s: %d client documents written", wanted.label, len(written))
    return FleetMonthlyWritten(
        wanted.label, options.lang, written, overview, tuple(unauthorized), tuple(gaps)
    )
