"""Site commands: init, run, status, diff, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import (
    EXIT_DRIFT,
    EXIT_OK,
    Context,
    cli,
    err,
    new_table,
    out,
    pass_ctx,
    real_console,
    styled,
)
from prisme_drift.models import DriftView, PollReport
from prisme_drift.timefmt import DEFAULT_TIMEZONE, local_time

if TYPE_CHECKING:
    from rich.text import Text

    from prisme_drift.config import Settings
    from prisme_drift.notify.sender import DeliveryReport


# -- init ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--site", help="Site name (default: the folder name).")
@click.option("--client", default="", help="Client name shown in reports.")
@click.option(
    "--timezone",
    default=DEFAULT_TIMEZONE,
    show_default=True,
    help="IANA name of the site's timezone: every time people read is shown in it.",
)
@click.option(
    "--recreate-state",
    is_flag=True,
    help="The site exists but its state folder was lost: create a new one on purpose "
    "(audit-logged; needs --by and --reason).",
)
@click.option("--by", default=None, help="Who re-creates the state (default: the login name).")
@click.option("--reason", default="", help="Why the state is re-created (audit trail).")
def init(
    directory: Path,
    site: str | None,
    client: str,
    timezone: str,
    recreate_state: bool,
    by: str | None,
    reason: str,
) -> None:
    """Create a new site folder: settings, inventory skeleton, baseline repo, state."""
    if recreate_state:
        _recreate_state(directory, by, reason)
        return
    from prisme_drift.site import init_site

    created = init_site(directory, site=site, client=client, timezone=timezone)
    out.print(f"site folder ready: {directory}")
    for path in created:
        out.print(f"  created {path}")
    out.print(
        f"next: edit {directory / 'inventory' / 'hosts.yaml'}, then "
        f"'prisme-drift -c {directory / 'prisme-drift.toml'} run'"
    )


def _recreate_state(directory: Path, by: str | None, reason: str) -> None:
    from prisme_drift.authorize.registry import default_actor
    from prisme_drift.config import DEFAULT_NAME, load_settings
    from prisme_drift.recreate import RECREATE_WARNINGS, recreate_state

    settings = load_settings(directory / DEFAULT_NAME)
    created = recreate_state(settings, by or default_actor(), reason)
    out.print(f"state folder re-created: {settings.state_path}")
    for path in created:
        out.print(f"  created {path}")
    for warning in RECREATE_WARNINGS:
        err.print(f"warning: {warning}", markup=False)


# -- run ----------------------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--state",
    "with_state",
    is_flag=True,
    help="Also refresh every device's structured state (NAPALM getters) now.",
)
@pass_ctx
def run(ctx: Context, as_json: bool, with_state: bool) -> None:
    """Poll every device once now, update the baseline and the drift items."""

    settings = ctx.settings()
    report = _run_with_progress(settings, show=not as_json and err.is_terminal, state=with_state)
    delivered = _deliver_notifications(settings)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report, settings.site.timezone)
    if delivered is not None and (delivered.attempted or delivered.pending):
        err.print(delivered.line() + " (see 'prisme-drift outbox list')", markup=False)
    raise click.exceptions.Exit(report.exit_code)


def _deliver_notifications(settings: Settings) -> DeliveryReport | None:
    """Send what the poll queued before exiting (cron use); a delivery failure is logged and
    the message stays in the outbox: it never changes run's exit code."""
    from prisme_drift.notify.sender import deliver_after_poll

    return deliver_after_poll(settings)


def _run_with_progress(settings: Settings, show: bool, state: bool = False) -> PollReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from prisme_drift.inventory import build_nornir
    from prisme_drift.poll import run_poll

    if not show:
        return run_poll(settings, deliver=False, state=state)
    total = len(build_nornir(settings).inventory.hosts)
    columns = (
        TextColumn("polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
    )
    with Progress(*columns, console=real_console(err), transient=True) as progress:
        task = progress.add_task("", total=total)
        return run_poll(
            settings,
            on_result=lambda f: progress.update(task, advance=1, description=f.device),
            deliver=False,
            state=state,
        )


def print_report(report: PollReport, timezone: str) -> None:
    """The summary table of a poll, its structured state changes and its open drift (times in
    the site's ``timezone``)."""
    from prisme_drift.state.changes import change_line

    table = new_table(title=f"{report.site}: poll {report.poll_id}", title_justify="left")
    for column in ("device", "status", "error"):
        table.add_column(column)
    styles = {
        "ok": "green",
        "unchanged": "green",
        "changed": "yellow",
        "failed": "red",
        "quarantined": "magenta",
    }
    for d in report.devices:
        error = f"{d.error_kind}: {d.error}" if d.error_kind else ""
        table.add_row(d.name, styled(d.status, styles[d.status]), error)
    out.print(table)
    for name in report.removed:
        out.print(
            f"removed from the inventory: {name} (no longer polled; its baseline stays "
            "in git, its open drift items are closed as device_removed)"
        )
    if report.commit:
        out.print(f"observed commit {report.commit[:12]}")
    for d in report.devices:
        for change in d.state_changes:
            out.print(f"state {d.name}: {change_line(change)}")
    print_items(list(report.drift), "open drift", timezone)


def print_items(items: list[DriftView], title: str, timezone: str) -> None:
    """A table of drift items, times in the site's ``timezone``."""
    if not items:
        out.print(f"{title}: none")
        return
    table = new_table(title=title, title_justify="left")
    for column in ("id", "device", "category", "verdict", "reason", "opened", "closed", "change"):
        table.add_column(column, overflow="fold")
    for i in items:
        change = "\n".join([f"  {p}" for p in i.path] + i.lines()[:6])
        if len(i.lines()) > 6:
            change += f"\n  (+{len(i.lines()) - 6} more lines)"
        closed = f"{local_time(i.closed_at, timezone)} {i.close_reason}" if i.closed_at else ""
        table.add_row(
            str(i.id),
            i.device,
            i.category,
            i.verdict,
            i.reason or "",
            local_time(i.opened_at, timezone),
            closed,
            change,
        )
    out.print(table)


# -- status and diff ----------------------------------------------------------------------------
@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Last poll per device, open drift, baseline heads."""
    from prisme_drift.site import site_status

    settings = ctx.settings()
    tz = settings.site.timezone
    data = site_status(settings)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(
        f"site {data['site']}  last poll {local_time(data['last_poll'], tz, empty='never')}  "
        f"open drift {data['open_drift']}"
    )
    out.print(
        f"baseline observed {str(data['observed'])[:12]}  approved {str(data['approved'])[:12]}"
    )
    table = new_table()
    for column in (
        "device",
        "platform",
        "address",
        "last status",
        "last poll",
        "last success",
        "failures",
        "open drift",
    ):
        table.add_column(column)
    for d in data["devices"]:
        last: str | Text = d["last_status"] or ""
        if d["removed"]:
            when = local_time(d["removed_at"], tz)
            last = styled(f"removed from the inventory {when}", "dim") + f" (was {last})"
        table.add_row(
            d["name"],
            d["platform"],
            f"{d['hostname']}:{d['port']}",
            last,
            local_time(d["last_poll_at"], tz),
            local_time(d["last_success_at"], tz),
            str(d["consecutive_failures"]),
            str(d["open_drift"]),
        )
    out.print(table)
    from prisme_drift.cli.daemon import print_daemon

    print_daemon(data["daemon"], tz)


@cli.command()
@click.argument("device")
@pass_ctx
def diff(ctx: Context, device: str) -> None:
    """Approved vs observed for one device: the git diff of the normalized files; exit 0
    when they are equal, 3 when they differ (as ``compare``), 5 for an unknown device."""
    from prisme_drift.site import device_diff

    text = device_diff(ctx.settings(), device)
    click.echo(text if text else f"{device}: observed equals approved")
    raise click.exceptions.Exit(EXIT_DRIFT if text else EXIT_OK)


# -- demo ---------------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo site in this folder (default: a temporary folder).",
)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def demo(directory: Path | None, lang: str) -> None:
    """The built-in lab end to end: baseline, an unauthorized VLAN change, the alert."""
    from prisme_drift.demo import run_demo

    raise click.exceptions.Exit(run_demo(directory, lang=lang, console=real_console(out)))
