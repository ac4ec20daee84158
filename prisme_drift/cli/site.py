"""Site commands: init, run, status, diff, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from prisme_drift.cli.app import Context, cli, err, out, pass_ctx
from prisme_drift.config import Settings
from prisme_drift.models import DriftView, PollReport

if TYPE_CHECKING:
    from prisme_drift.notify.sender import DeliveryReport


# -- init ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--site", help="Site name (default: the folder name).")
@click.option("--client", default="", help="Client name shown in reports.")
@click.option("--timezone", default="Indian/Reunion", show_default=True)
def init(directory: Path, site: str | None, client: str, timezone: str) -> None:
    """Create a new site folder: settings, inventory skeleton, baseline repo, state."""
    from prisme_drift.site import init_site

    created = init_site(directory, site=site, client=client, timezone=timezone)
    out.print(f"site folder ready: {directory}")
    for path in created:
        out.print(f"  created {path}")
    out.print(
        f"next: edit {directory / 'inventory' / 'hosts.yaml'}, then "
        f"'prisme-drift -c {directory / 'prisme-drift.toml'} run'"
    )


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
        print_report(report)
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
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("", total=total)
        return run_poll(
            settings,
            on_result=lambda f: progress.update(task, advance=1, description=f.device),
            deliver=False,
            state=state,
        )


def print_report(report: PollReport) -> None:
    """The summary table of a poll, its structured state changes and its open drift."""
    from prisme_drift.state.changes import change_line

    table = Table(title=f"{report.site}: poll {report.poll_id}", title_justify="left")
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
        table.add_row(d.name, f"[{styles[d.status]}]{d.status}[/]", error)
    out.print(table)
    if report.commit:
        out.print(f"observed commit {report.commit[:12]}")
    for d in report.devices:
        for change in d.state_changes:
            out.print(f"state {d.name}: {change_line(change)}", markup=False)
    print_items(list(report.drift), title="open drift")


def print_items(items: list[DriftView], title: str) -> None:
    """A table of drift items."""
    if not items:
        out.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left")
    for column in ("id", "device", "category", "verdict", "reason", "opened", "closed", "change"):
        table.add_column(column, overflow="fold")
    for i in items:
        change = "\n".join([f"  {p}" for p in i.path] + i.lines()[:6])
        if len(i.lines()) > 6:
            change += f"\n  (+{len(i.lines()) - 6} more lines)"
        closed = f"{i.closed_at:%Y-%m-%d %H:%M} {i.close_reason}" if i.closed_at else ""
        table.add_row(
            str(i.id),
            i.device,
            i.category,
            i.verdict,
            i.reason or "",
            f"{i.opened_at:%Y-%m-%d %H:%M}",
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

    data = site_status(ctx.settings())
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(
        f"site {data['site']}  last poll {data['last_poll'] or 'never'}  "
        f"open drift {data['open_drift']}"
    )
    out.print(
        f"baseline observed {str(data['observed'])[:12]}  approved {str(data['approved'])[:12]}"
    )
    table = Table()
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
        table.add_row(
            d["name"],
            d["platform"],
            f"{d['hostname']}:{d['port']}",
            d["last_status"] or "",
            d["last_poll_at"] or "",
            d["last_success_at"] or "",
            str(d["consecutive_failures"]),
            str(d["open_drift"]),
        )
    out.print(table)
    from prisme_drift.cli.daemon import print_daemon

    print_daemon(data["daemon"])


@cli.command()
@click.argument("device")
@pass_ctx
def diff(ctx: Context, device: str) -> None:
    """Approved vs observed for one device: the git diff of the normalized files."""
    from prisme_drift.site import device_diff

    text = device_diff(ctx.settings(), device)
    click.echo(text if text else f"{device}: observed equals approved")


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

    raise click.exceptions.Exit(run_demo(directory, lang=lang, console=out))
