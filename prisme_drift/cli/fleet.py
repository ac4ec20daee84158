"""Fleet commands: ``fleet sync`` on a site; ``fleet status``, ``fleet drift list``,
``fleet migrate`` and ``fleet grant`` on the provider's central database (docs/fleet.md)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import Context, cli, new_table, out, pass_ctx, styled
from prisme_drift.cli.report import document_options
from prisme_drift.timefmt import local_time

if TYPE_CHECKING:
    from sqlalchemy import Engine

url_option = click.option(
    "--url",
    help="The central database (default: $PRISME_FLEET_URL, else [fleet] url of the settings).",
)
password_option = click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding only the role's password (default: peer or ~/.pgpass authentication).",
)


def _central(ctx: Context, url: str | None, password_file: Path | None) -> Engine:
    """The central engine; the site's settings are read only when no URL is given."""
    from prisme_drift.fleet.central import URL_ENV
    from prisme_drift.fleet.views import open_central

    settings = None if (url or os.environ.get(URL_ENV)) else ctx.settings()
    return open_central(url, settings, password_file)


@cli.group()
def fleet() -> None:
    """Copy this site to the provider's central database; read the fleet from there."""


@fleet.command("sync")
@pass_ctx
def fleet_sync(ctx: Context) -> None:
    """Copy what changed since the last sync to [fleet] url, then push the baseline to
    [fleet] git_remote, fast-forward only (the daemon does both by itself)."""
    from prisme_drift.daemon.fleet import push_baseline_to_fleet
    from prisme_drift.fleet.sync import sync_site

    settings = ctx.settings()
    out.print(sync_site(settings).line())
    pushed = push_baseline_to_fleet(settings)
    if pushed is not None:
        out.print(f"git push: {pushed}")


@fleet.command("migrate")
@url_option
@password_option
@pass_ctx
def fleet_migrate(ctx: Context, url: str | None, password_file: Path | None) -> None:
    """Create or upgrade the central schema (run as the owner of the central database)."""
    from prisme_drift.fleet.central import migrate

    engine = _central(ctx, url, password_file)
    try:
        out.print(f"central fleet schema at revision {migrate(engine)}")
    finally:
        engine.dispose()


@fleet.command("grant")
@click.argument("site")
@click.argument("role")
@url_option
@password_option
@pass_ctx
def fleet_grant_site(
    ctx: Context, site: str, role: str, url: str | None, password_file: Path | None
) -> None:
    """Let the existing database ROLE write the rows of SITE, and only those."""
    from prisme_drift.fleet.central import grant_site

    engine = _central(ctx, url, password_file)
    try:
        grant_site(engine, site, role)
    finally:
        engine.dispose()
    out.print(f"role {role} now writes the rows of site {site}, and only those")


@fleet.command("status")
@url_option
@password_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def fleet_status(ctx: Context, url: str | None, password_file: Path | None, as_json: bool) -> None:
    """One line per site: last sync and poll, devices, failing, open unauthorized drift."""
    from prisme_drift.fleet.views import site_lines

    engine = _central(ctx, url, password_file)
    try:
        lines = site_lines(engine)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([line.as_dict() for line in lines], indent=2, ensure_ascii=False))
        return
    if not lines:
        out.print("fleet: no site has synced yet")
        return
    table = new_table(title="fleet", title_justify="left")
    for column in ("site", "client", "last sync", "last poll", "devices", "failing",
                   "unauthorized", "expired", "last monthly"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for line in lines:
        table.add_row(
            line.site,
            line.client,
            local_time(line.last_sync, "UTC", empty="never"),
            local_time(line.last_poll, "UTC", empty="never"),
            str(line.devices),
            styled(line.failing, "red") if line.failing else "0",
            styled(line.open_unauthorized, "red") if line.open_unauthorized else "0",
            styled(line.transitional_expired, "yellow") if line.transitional_expired else "0",
            line.last_monthly_report or "",
        )
    out.print(table)


@fleet.group("drift")
def fleet_drift() -> None:
    """Drift items across the fleet."""


@fleet_drift.command("list")
@click.option("--site", help="Only this site.")
@click.option("--client", help="Only the sites of this client.")
@url_option
@password_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def fleet_drift_list(
    ctx: Context,
    site: str | None,
    client: str | None,
    url: str | None,
    password_file: Path | None,
    as_json: bool,
) -> None:
    """Open drift items of every site, oldest first."""
    from prisme_drift.fleet.views import open_items

    engine = _central(ctx, url, password_file)
    try:
        items = open_items(engine, site, client)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
        return
    if not items:
        out.print("fleet: no open drift")
        return
    table = new_table(title="open drift across the fleet", title_justify="left")
    for column in ("site", "device", "id", "category", "verdict", "reason", "opened", "change"):
        table.add_column(column, overflow="fold")
    for i in items:
        change = "\n".join([f"  {p}" for p in i.path] + [f"- {x}" for x in i.removed][:3]
                           + [f"+ {x}" for x in i.added][:3])  # fmt: skip
        table.add_row(
            i.site, i.device, str(i.id), i.category, i.verdict, i.reason or "",
            local_time(i.opened_at, "UTC"), change,
        )  # fmt: skip
    out.print(table)


@fleet.group("report")
def fleet_report() -> None:
    """Documents across the fleet."""


@fleet_report.command("monthly")
@click.option("--client", help="Only this client's document (and its sites in the overview).")
@click.option("--month", help="YYYY-MM, a UTC month (default: the previous month).")
@url_option
@password_option
@document_options(
    out_default="[report] output of the settings, else 'reports/'",
    json_shape="{month, lang, clients: [{client, pdf, html, sites}], overview}",
)
@pass_ctx
def fleet_report_monthly(
    ctx: Context,
    client: str | None,
    month: str | None,
    url: str | None,
    password_file: Path | None,
    out_dir: Path | None,
    formats: str,
    lang: str | None,
    as_json: bool,
) -> None:
    """One monthly document per client across its sites, and the provider's overview (sites
    ranked by unauthorized changes and by days without a good poll)."""
    from prisme_drift.fleet.central import URL_ENV
    from prisme_drift.fleet.monthly_doc import write_fleet_monthly
    from prisme_drift.fleet.views import open_central
    from prisme_drift.report.render import RenderOptions, options_from, parse_formats

    wanted = parse_formats(formats)
    settings = None if (url or os.environ.get(URL_ENV)) else ctx.settings()
    if settings is None:
        options = RenderOptions(
            lang=lang or "fr", formats=wanted, out_dir=out_dir or Path("reports")
        )
    else:  # the provider's branding and output folder from the settings
        options = options_from(settings, lang=lang, formats=wanted, out_dir=out_dir)
        options = dataclasses.replace(options, timezone="UTC")
    engine = open_central(url, settings, password_file)
    try:
        written = write_fleet_monthly(engine, options, client=client, month=month)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(written.as_dict(), indent=2, ensure_ascii=False))
        return
    for document, files in written.clients:
        for path in files.values():
            out.print(f"written: {path} ({document.client}, {len(document.sites)} sites)")
    for path in written.overview.values():
        out.print(f"written: {path} (overview)")
