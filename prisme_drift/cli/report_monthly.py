"""``prisme-drift report monthly``: the monthly summary each client receives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import Context, err, out, pass_ctx
from prisme_drift.cli.report import document_options, report, sent_dict
from prisme_drift.errors import ConfigError
from prisme_drift.timefmt import local_time

if TYPE_CHECKING:
    from prisme_drift.report.monthly_service import Sent


@report.command()
@click.option("--month", help="YYYY-MM (default: the previous month in the site's timezone).")
@document_options(json_shape="{site, client, month, pdf, html, figures}")
@click.option(
    "--send",
    is_flag=True,
    help="Email it with the PDF to [report] client_to/client_cc, IT in copy; once per month.",
)
@pass_ctx
def monthly(
    ctx: Context,
    month: str | None,
    out_dir: Path | None,
    formats: str,
    lang: str | None,
    as_json: bool,
    send: bool,
) -> None:
    """The monthly summary: changes, authorizations, interventions, monitoring, open points."""
    from prisme_drift.report.monthly_service import require_mail, send_monthly, write_monthly
    from prisme_drift.report.render import parse_formats

    settings = ctx.settings()
    wanted = parse_formats(formats)
    if send:
        require_mail(settings)
        if "pdf" not in wanted:
            raise ConfigError("--send attaches the PDF: keep pdf in --format")
    written = write_monthly(settings, month=month, out_dir=out_dir, formats=wanted, lang=lang)
    sent = send_monthly(settings, written) if send else None
    if as_json:
        result = written.as_dict()
        if sent is not None:
            result["sent"] = sent_dict(sent)
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for path in written.files.values():
        out.print(f"written: {path}")
    f = written.figures
    out.print(
        f"{written.month}: {f['changes']} changes ({f['authorized']} authorized, "
        f"{f['unauthorized']} unauthorized), {f['open_at_end']} unauthorized open at month "
        f"end, {f['transitional_expired']} expired transitional steps, {f['polls']} polls"
    )
    if sent is not None:
        _print_sent(sent, settings.site.timezone)


def _print_sent(sent: Sent, timezone: str) -> None:
    where = ", ".join(sent.to) + (f" (cc {', '.join(sent.cc)})" if sent.cc else "")
    if not sent.new:
        when = local_time(sent.sent_at, timezone, empty="not yet")
        out.print(
            f"already queued for this month (outbox {sent.message_id}, {sent.status}, sent: "
            f"{when}); not sent again"
        )
    elif sent.status == "sent":
        out.print(f"sent to {where} (outbox {sent.message_id})")
    else:
        err.print(
            f"queued for {where} (outbox {sent.message_id}) but not delivered yet: "
            f"{sent.error}; the daemon retries it, or 'prisme-drift outbox retry "
            f"{sent.message_id}'"
        )
