"""``prisme-drift report monthly``: gather the month, build the summary, render it, write it.

The words come from the catalogs (``monthly.*`` ids); the layout from ``monthly.html`` and the
shared styles; the charts from ``report/charts.py``. Rendering the same month from the same data
gives the same text (the generation time printed on the cover aside).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError, OperationalError
from prisme_drift.notify.documents import Attachment, DocumentMail, queue_document, recipients
from prisme_drift.report.charts import Series, horizontal_bars, stacked_columns
from prisme_drift.report.i18n import gettext_for, translations
from prisme_drift.report.monthly import FIGURES, KPIS, MonthlyView, build_monthly, figures_json
from prisme_drift.report.monthly_input import Month, MonthInput, default_month, parse_month
from prisme_drift.report.render import FORMATS, RenderOptions, options_from, write_document
from prisme_drift.scrub import scrub
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)
#: Figures where a rise is bad news (shown in red), and where it is good news.
WORSE_WHEN_UP = {"unauthorized", "open_at_end", "transitional_expired", "median_hours_to_close"}
BETTER_WHEN_UP = {"poll_success_ratio"}


@dataclass(frozen=True)
class MonthlyWritten:
    """A monthly summary written: where, and its figures."""

    site: str
    client: str
    month: str
    files: dict[str, Path]
    figures: dict[str, Any]
    lang: str = "fr"
    title: str = ""  # "Novembre 2026"
    brief: tuple[str, ...] = ()  # the "En bref" sentences, for the email

    def as_dict(self) -> dict[str, Any]:
        """What ``--json`` prints."""
        return {
            "site": self.site,
            "client": self.client,
            "month": self.month,
            "pdf": str(self.files["pdf"]) if "pdf" in self.files else None,
            "html": str(self.files["html"]) if "html" in self.files else None,
            "figures": self.figures,
        }


@dataclass(frozen=True)
class Kpi:
    """One line of the "En bref" table."""

    name: str
    current: str
    previous: str
    trend: str
    tone: str  # ok | bad | ""


def _number(value: int | float | None, name: str, lang: str) -> str:
    if value is None:
        return "—"
    if name == "poll_success_ratio":
        return format_percent(value, "#,##0.#%", locale=lang)
    return format_decimal(value, locale=lang)


def _kpi(name: str, view: MonthlyView, lang: str) -> Kpi:
    now, before = view.figures[name], view.previous[name]
    trend, tone = "=", ""
    if now is not None and before is not None and now != before:
        up = now > before
        trend = "▲" if up else "▼"
        if name in WORSE_WHEN_UP:
            tone = "bad" if up else "ok"
        elif name in BETTER_WHEN_UP:
            tone = "ok" if up else "bad"
    return Kpi(name, _number(now, name, lang), _number(before, name, lang), trend, tone)


def sentences(view: MonthlyView, lang: str) -> list[str]:
    """The "En bref" lines: three to five sentences a non-technical reader understands."""
    t = translations(lang)
    f = view.figures

    def plural(key: str, n: int, **params: object) -> str:
        return t.ngettext(f"monthly.brief.{key}", f"monthly.brief.{key}_plural", n) % {
            "num": n,
            **params,
        }

    out = []
    if not f["unauthorized"]:
        out.append(t.gettext("monthly.brief.no_unauthorized"))
    else:
        out.append(plural("unauthorized", int(f["unauthorized"] or 0), open=f["open_at_end"]))
    if f["changes"]:
        out.append(plural("changes", int(f["changes"] or 0), authorized=f["authorized"]))
    elif not view.quiet:
        out.append(t.gettext("monthly.brief.no_changes"))
    if f["tickets_executed"]:
        out.append(plural("tickets", int(f["tickets_executed"] or 0)))
    if f["transitional_expired"]:
        out.append(plural("transitional_expired", int(f["transitional_expired"] or 0)))
    elif f["transitional_open"]:
        out.append(plural("transitional_open", int(f["transitional_open"] or 0)))
    ratio = _number(f["poll_success_ratio"], "poll_success_ratio", lang)
    out.append(plural("monitoring", int(f["devices"] or 0), polls=f["polls"], ratio=ratio))
    if view.quiet:
        out.insert(0, t.gettext("monthly.brief.quiet"))
    return out


def charts(view: MonthlyView, lang: str) -> dict[str, str]:
    """The two charts as SVG: changes per week by verdict, changes per category."""
    weeks = [gettext_for(lang, "monthly.chart.week", week=w.week) for w in view.weeks]
    series = [
        Series(gettext_for(lang, "monthly.verdict.unauthorized"),
               tuple(w.unauthorized for w in view.weeks)),
        Series(gettext_for(lang, "monthly.verdict.accepted"),
               tuple(w.accepted for w in view.weeks)),
        Series(gettext_for(lang, "monthly.verdict.authorized"),
               tuple(w.authorized for w in view.weeks)),
    ]  # fmt: skip
    labels = [gettext_for(lang, f"monthly.category.{c}") for c, _ in view.by_category]
    return {
        "weeks": stacked_columns(weeks, series),
        "categories": horizontal_bars(labels, [n for _, n in view.by_category]),
    }


def diff_text(removed: tuple[str, ...], added: tuple[str, ...], path: tuple[str, ...]) -> str:
    """The redacted diff of one change (its place in the configuration, then - and + lines)."""
    lines = [f"  {p}" for p in path]
    lines += [f"- {line}" for line in removed] + [f"+ {line}" for line in added]
    return scrub("\n".join(lines))


def monthly_context(view: MonthlyView, options: RenderOptions) -> dict[str, Any]:
    """Template context of the monthly summary."""
    lang = options.lang
    month_title = format_date(view.month.first_day, "MMMM y", locale=lang)
    previous = view.month.previous().first_day
    return {
        "view": view,
        "month_title": month_title[:1].upper() + month_title[1:],
        "month_short": format_date(view.month.first_day, "MMM y", locale=lang),
        "previous_short": format_date(previous, "MMM y", locale=lang),
        "kpis": [_kpi(name, view, lang) for name in KPIS],
        "sentences": sentences(view, lang),
        "charts": charts(view, lang),
        "diffs": {
            r.item.id: diff_text(r.item.removed, r.item.added, r.item.path)
            for r in view.unauthorized
        },
        "glossary": list(FIGURES),
        "running_title": gettext_for(
            lang, "monthly.running_title", site=view.site, month=view.month.label
        ),
    }


class NoPollError(OperationalError):
    """No poll at all in the month (exit 7: the monitoring's record of that month is missing).

    ``before_first_poll``: the month ended before the site's first poll (a new site)."""

    def __init__(self, message: str, *, site: str, before_first_poll: bool) -> None:
        super().__init__(message, site=site)
        self.before_first_poll = before_first_poll


def render_monthly(data: MonthInput, options: RenderOptions) -> MonthlyWritten:
    """Build and write the summary of prepared inputs (no store access: tests and benchmarks)."""
    if not any(data.month.contains(at) for at in data.polls):
        m = data.month
        firsts = [d.first_poll_at for d in data.devices if d.first_poll_at is not None]
        raise NoPollError(
            f"no poll of site {data.site} in {m.label} ({m.first_day} to {m.last_day}, "
            f"{m.timezone}): there is nothing to report for that month; check --month, or "
            "'prisme-drift status' for when the site was polled",
            site=data.site,
            before_first_poll=not firsts or min(firsts) >= m.end,
        )
    view = build_monthly(data)
    stem = f"{data.site}-{data.month.label}"
    context = monthly_context(view, options)
    files = write_document(stem, "monthly.html", context, options)
    return MonthlyWritten(
        data.site,
        data.client,
        data.month.label,
        files,
        figures_json(view),
        options.lang,
        str(context["month_title"]),
        tuple(context["sentences"]),
    )


def resolve_month(settings: Settings, text: str | None, now: datetime) -> Month:
    """``--month`` or the previous calendar month in the site's timezone."""
    zone = settings.site.timezone
    return parse_month(text, zone) if text else default_month(now, zone)


def write_monthly(
    settings: Settings,
    *,
    month: str | None = None,
    out_dir: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
    lang: str | None = None,
    now: datetime | None = None,
) -> MonthlyWritten:
    """``prisme-drift report monthly``: the month's summary as PDF and/or HTML."""
    from prisme_drift.report.monthly_sources import month_input

    now = now or datetime.now(UTC)
    wanted = resolve_month(settings, month, now)
    options = options_from(settings, lang=lang, formats=formats, out_dir=out_dir)
    written = render_monthly(month_input(settings, wanted, now), options)
    log.info("[%s] monthly summary %s written", settings.site.name, wanted.label)
    return written


# --------------------------------------------------------------------------- --send


@dataclass(frozen=True)
class Sent:
    """What ``--send`` did: the outbox message, whether this run queued it, its state now."""

    message_id: int
    new: bool
    status: str  # pending | sent | failed
    sent_at: datetime | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    error: str | None = None


def require_mail(settings: Settings) -> None:
    """``--send`` needs an ``[smtp]`` section; ConfigError naming the file otherwise."""
    if settings.smtp is None:
        raise ConfigError(
            f"{settings.source}: --send needs an [smtp] section (docs/alerts.md) and, for the "
            "client, [report] client_to; nothing was written"
        )


def monthly_mail(settings: Settings, written: MonthlyWritten) -> DocumentMail:
    """Subject, text, HTML, recipients and the PDF of the monthly summary's email."""
    lang = written.lang
    t = translations(lang)
    params = {
        "client": settings.site.client or written.site,
        "site": written.site,
        "month": written.title,
        "provider": settings.report.provider,
        "contact": settings.report.provider_contact,
    }
    paragraphs = [
        t.gettext("monthly.mail.greeting") % params,
        t.gettext("monthly.mail.intro") % params,
        *written.brief,
        t.gettext("monthly.mail.attached") % params,
        t.gettext("monthly.mail.signature") % params,
    ]
    html_body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    to, cc = recipients(settings)
    pdf = written.files.get("pdf")
    return DocumentMail(
        subject=t.gettext("monthly.mail.subject") % params,
        body="\n\n".join(paragraphs) + "\n",
        html=f'<!DOCTYPE html><html lang="{lang}"><body>{html_body}</body></html>',
        to=to,
        cc=cc,
        attachments=(Attachment.of(pdf),) if pdf else (),
    )


def send_monthly(settings: Settings, written: MonthlyWritten, now: datetime | None = None) -> Sent:
    """Queue the summary's email once per site and month, then try to deliver it now (again,
    if an earlier try failed); the outbox retries it afterwards."""
    from prisme_drift.notify.sender import deliver_message
    from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
    from prisme_drift.store.models import OutboxMessage

    require_mail(settings)
    if "pdf" not in written.files:
        raise ConfigError("--send attaches the PDF: keep pdf in --format")
    mail = monthly_mail(settings, written)
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine).begin() as session:
            queued = queue_document(
                session, settings, f"monthly:{written.month}", mail, now or utcnow()
            )
        if queued.status in ("pending", "failed"):  # this message only: alerts keep their pace
            deliver_message(settings, queued.message_id, engine=engine)
        with session_factory(engine)() as session:
            message = session.get(OutboxMessage, queued.message_id)
            assert message is not None
            status, sent_at, error = message.status, message.sent_at, message.last_error
    finally:
        engine.dispose()
    log.info("[%s] monthly summary %s: outbox %d %s", settings.site.name, written.month,
             queued.message_id, status)  # fmt: skip
    return Sent(queued.message_id, queued.new, status, sent_at, mail.to, mail.cc, error)
