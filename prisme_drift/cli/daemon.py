"""Service commands: ``daemon`` (the scheduler, in the foreground) and ``check``."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from prisme_drift.cli.app import EXIT_DEVICE, EXIT_OK, Context, cli, out, pass_ctx
from prisme_drift.config import find_config


@cli.command()
@pass_ctx
def daemon(ctx: Context) -> None:
    """Run the scheduler in the foreground (systemd Type=notify; see docs/deployment.md).

    Polls on [schedule], sends alerts, backs up and checks the stores. SIGHUP reloads the
    settings and inventory; SIGTERM stops cleanly. Exit 2 if another daemon runs for the site.
    """
    from prisme_drift.daemon.service import run_daemon, setup_logging

    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    setup_logging(int(verbose or 0))
    raise click.exceptions.Exit(run_daemon(find_config(ctx.config)))


def print_daemon(data: dict[str, Any]) -> None:
    """``status``: the daemon's mode and its jobs (from ``state/jobs.json``)."""
    info, jobs = data["daemon"], data["jobs"]
    if not jobs and not info.get("started_at"):
        out.print("daemon: never started on this site")
        return
    mode = info.get("mode") or "stopped"
    who = f"pid {info['pid']}, " if info.get("running") else ""
    line = f"daemon: {mode} ({who}started {info.get('started_at') or '?'})"
    if mode == "stopped" and info.get("stopped_at"):
        line += f", stopped {info['stopped_at']}"
    if mode == "dead":
        line += ": no daemon process holds the lock (killed? see journalctl -u 'prisme-drift@*')"
    out.print(line)
    if info.get("degraded_reason"):
        out.print(f"[red]degraded, writes refused:[/] {info['degraded_reason']}")
    table = Table()
    for column in ("job", "last success", "last failure", "next run", "last result"):
        table.add_column(column, overflow="fold")
    for job_id, job in jobs.items():
        result = job.get("last_outcome") or ""
        if job.get("consecutive_failures"):
            result = f"[red]failed x{job['consecutive_failures']}:[/] {job.get('last_error')}"
        elif job.get("last_note"):
            result = f"{result}: {job['last_note']}"
        if job.get("running_since"):
            result = f"running since {job['running_since']}"
        table.add_row(
            job_id,
            job.get("last_success_at") or "",
            job.get("last_failure_at") or "",
            job.get("next_run_at") or "",
            result,
        )
    out.print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@pass_ctx
def check(ctx: Context, as_json: bool) -> None:
    """Validate settings and inventory, then test each device read-only: TCP, host key, SSH
    login and prompt. Exit 0 if every device passes, 4 otherwise, 2 on a configuration error."""
    from prisme_drift.daemon.check import check_site

    settings = ctx.settings()
    results = check_site(settings)
    failed = [r for r in results if not r.ok]
    if as_json:
        data = {"site": settings.site.name, "devices": [r.as_dict() for r in results]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        out.print(f"settings {settings.source}: ok; inventory: {len(results)} device(s)")
        table = Table(title=f"{settings.site.name}: device check", title_justify="left")
        for column in ("device", "address", "tcp", "host key", "login", "prompt", "problem"):
            table.add_column(column, overflow="fold")
        for r in results:
            style = "green" if r.ok else "red"
            cells = (r.address, r.tcp, r.hostkey, r.login, r.prompt, r.detail)
            table.add_row(f"[{style}]{escape(r.device)}[/]", *(escape(c) for c in cells))
        out.print(table)
        out.print(f"{len(results) - len(failed)} ok, {len(failed)} failed")
    raise click.exceptions.Exit(EXIT_DEVICE if failed else EXIT_OK)
