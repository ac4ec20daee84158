"""``prisme-drift report monthly``: the monthly summary each client receives."""

from __future__ import annotations

import json
from pathlib import Path

import click

from prisme_drift.cli.app import Context, out, pass_ctx
from prisme_drift.cli.report import report


@report.command()
@click.option("--month", help="YYYY-MM (default: the previous month in the site's timezone).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (default: [report] output, 'reports/' in the site folder).",
)
@click.option(
    "--format", "formats", default="pdf,html", show_default=True, help="pdf, html or both."
)
@click.option(
    "--lang", type=click.Choice(["fr", "en"]), help="Language (default: [report] language)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print {site, client, month, pdf, html, figures}."
)
@pass_ctx
def monthly(
    ctx: Context,
    month: str | None,
    out_dir: Path | None,
    formats: str,
    lang: str | None,
    as_json: bool,
) -> None:
    """The monthly summary: changes, authorizations, interventions, monitoring, open points."""
    from prisme_drift.report.monthly_service import write_monthly
    from prisme_drift.report.render import parse_formats

    settings = ctx.settings()
    written = write_monthly(
        settings, month=month, out_dir=out_dir, formats=parse_formats(formats), lang=lang
    )
    if as_json:
        click.echo(json.dumps(written.as_dict(), indent=2, ensure_ascii=False))
        return
    for path in written.files.values():
        out.print(f"written: {path}")
    f = written.figures
    out.print(
        f"{written.month}: {f['changes']} changes ({f['authorized']} authorized, "
        f"{f['unauthorized']} unauthorized), {f['open_at_end']} unauthorized open at month "
        f"end, {f['transitional_expired']} expired transitional steps, {f['polls']} polls"
    )
