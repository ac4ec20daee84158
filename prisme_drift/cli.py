"""Command line: a thin layer over the pipeline. Exit codes are part of the interface.

0 all collected and no open unauthorized drift; 3 open unauthorized drift; 4 no open drift but a
device failed or was quarantined; 2 usage or configuration error; 1 internal error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from prisme_drift import __version__
from prisme_drift.config import Settings, find_config, load_settings
from prisme_drift.errors import ConfigError, PrismeDriftError
from prisme_drift.models import DriftView, PollReport

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_DRIFT, EXIT_DEVICE = 0, 1, 2, 3, 4

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("prisme_drift")
# Piped or logged output gets wide tables instead of 80 folded columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("paramiko", "netmiko", "napalm", "nornir", "asyncssh"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if verbose < 2 else level)


class Context:
    """What every command gets: how to find the settings."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    def settings(self) -> Settings:
        return load_settings(find_config(self.config))


pass_ctx = click.make_pass_decorator(Context)


def main() -> None:
    """Entry point: runs the CLI and turns errors into exit codes and clear messages."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except click.exceptions.Abort:
        err.print("aborted")
        code = EXIT_INTERNAL
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        code = EXIT_USAGE
    except PrismeDriftError as exc:
        click.echo(f"error: {exc}", err=True)
        code = EXIT_INTERNAL
    except Exception:
        log.exception("internal error; please report it with the lines above")
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config",
    metavar="PATH",
    envvar=None,
    help="Settings file (default: $PRISME_DRIFT_CONFIG, then ./prisme-drift.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for library debug).")
@click.version_option(__version__, prog_name="prisme-drift")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """prisme-drift: network configuration drift, reconciled with approved change tickets."""
    _setup_logging(verbose)
    ctx.obj = Context(config)


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
@pass_ctx
def run(ctx: Context, as_json: bool) -> None:
    """Poll every device once now, update the baseline and the drift items."""

    settings = ctx.settings()
    report = _run_with_progress(settings, show=not as_json and err.is_terminal)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report)
    raise click.exceptions.Exit(report.exit_code)


def _run_with_progress(settings: Settings, show: bool) -> PollReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from prisme_drift.inventory import build_nornir
    from prisme_drift.poll import run_poll

    if not show:
        return run_poll(settings)
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
            settings, on_result=lambda f: progress.update(task, advance=1, description=f.device)
        )


def print_report(report: PollReport) -> None:
    """The summary table of a poll and its open drift."""
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


# -- drift --------------------------------------------------------------------------------------
@cli.group()
def drift() -> None:
    """List, show and accept drift items."""


@drift.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_closed", is_flag=True, help="Include closed items.")
@click.option("--device", help="Only this device.")
@pass_ctx
def drift_list(ctx: Context, as_json: bool, include_closed: bool, device: str | None) -> None:
    """Open drift items (all items with --all)."""
    from prisme_drift.drift import list_items

    items = list_items(ctx.settings(), include_closed=include_closed, device=device)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
    else:
        print_items(items, title="drift items" if include_closed else "open drift")


@drift.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drift_show(ctx: Context, item_id: int, as_json: bool) -> None:
    """One drift item in full, with its remediation hint."""
    from prisme_drift.drift import get_item

    item = get_item(ctx.settings(), item_id)
    if as_json:
        click.echo(json.dumps(item.as_dict(), indent=2, ensure_ascii=False))
        return
    for key, value in item.as_dict().items():
        if key in ("lines", "removed", "added", "remediation", "path"):
            continue
        out.print(f"{key:15} {value if value is not None else ''}")
    out.print("change:")
    for p in item.path:
        out.print(f"    {p}", markup=False)
    for line in item.lines():
        out.print(f"    {line}", markup=False)
    if item.remediation:
        out.print("remediation (suggested, never applied):")
        for line in item.remediation:
            out.print(f"    {line}", markup=False)


@drift.command("accept")
@click.argument("item_id", type=int)
@click.option("--by", required=True, help="Who accepts the change.")
@click.option("--reason", required=True, help="Why (kept in the baseline commit and the item).")
@pass_ctx
def drift_accept(ctx: Context, item_id: int, by: str, reason: str) -> None:
    """Accept a change after the fact: the approved baseline moves forward by it."""
    from prisme_drift.drift import accept_item

    item = accept_item(ctx.settings(), item_id, by, reason)
    out.print(f"drift item {item.id} on {item.device} accepted by {by}; approved baseline moved")


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


@cli.command()
@click.argument("device")
@pass_ctx
def diff(ctx: Context, device: str) -> None:
    """Approved vs observed for one device: the git diff of the normalized files."""
    from prisme_drift.site import device_diff

    text = device_diff(ctx.settings(), device)
    click.echo(text if text else f"{device}: observed equals approved")


# -- offline tools ------------------------------------------------------------------------------
@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("running", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def compare(platform: str, baseline: Path, running: Path, as_json: bool) -> None:
    """Compare two configuration files offline; exit 0 equivalent, 3 different."""
    from prisme_drift.offline import compare_files

    result = compare_files(platform, baseline, running)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for hunk in result["hunks"]:
            out.print(
                f"[{hunk['category']}] {' > '.join(hunk['path']) or '(top level)'}", markup=False
            )
            for line in hunk["removed"]:
                out.print(f"  - {line}", markup=False)
            for line in hunk["added"]:
                out.print(f"  + {line}", markup=False)
        if result["remediation"]:
            out.print("remediation:")
            for line in result["remediation"]:
                out.print(f"  {line}", markup=False)
    raise click.exceptions.Exit(EXIT_DRIFT if result["hunks"] else EXIT_OK)


@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def normalize(platform: str, file: Path) -> None:
    """Print what would be stored for a configuration file (secrets fingerprinted)."""
    from prisme_drift.offline import normalize_file

    click.echo(normalize_file(platform, file), nl=False)


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
