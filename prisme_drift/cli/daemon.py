"""Service commands: ``daemon`` (the scheduler, in the foreground) and ``check``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from prisme_drift.cli.app import (
    EXIT_DEVICE,
    EXIT_OK,
    Context,
    cli,
    new_table,
    out,
    pass_ctx,
    styled,
    text,
)
from prisme_drift.timefmt import local_time

if TYPE_CHECKING:
    from rich.text import Text


@cli.command()
@pass_ctx
def daemon(ctx: Context) -> None:
    """Run the scheduler in the foreground (systemd Type=notify; see docs/deployment.md).

    Polls on [schedule], sends alerts, backs up and checks the stores. SIGHUP reloads the
    settings and inventory; SIGTERM stops cleanly. Exit 2 on a configuration error, 6 if
    another daemon runs for the site.
    """
    from prisme_drift.config import find_config
    from prisme_drift.daemon.journal import setup_logging
    from prisme_drift.daemon.supervisor import run_daemon

    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    setup_logging(int(verbose or 0))
    raise click.exceptions.Exit(run_daemon(find_config(ctx.config)))


def print_daemon(data: dict[str, Any], timezone: str) -> None:
    """``status``: the daemon's mode and its jobs (from the database), times in the
    site's ``timezone``."""
    info, jobs = data["daemon"], data["jobs"]
    if not jobs and not info.get("started_at"):
        out.print("daemon: never started on this site")
        return
    mode = info.get("mode") or "stopped"
    who = f"pid {info['pid']}, " if info.get("running") else ""
    line = (
        f"daemon: {mode} ({who}started {local_time(info.get('started_at'), timezone, empty='?')})"
    )
    if mode == "stopped" and info.get("stopped_at"):
        line += f", stopped {local_time(info['stopped_at'], timezone)}"
    if mode == "dead":
        line += ": no daemon process holds the lock (killed? see journalctl -u 'prisme-drift@*')"
    out.print(line)
    if info.get("degraded_reason"):
        out.print(styled("degraded, writes refused: ", "red") + str(info["degraded_reason"]))
    table = new_table()
    for column in ("job", "last success", "last failure", "next run", "last result"):
        table.add_column(column, overflow="fold")
    for job_id, job in jobs.items():
        table.add_row(
            job_id,
            local_time(job.get("last_success_at"), timezone),
            local_time(job.get("last_failure_at"), timezone),
            local_time(job.get("next_run_at"), timezone),
            _job_result(job, timezone),
        )
    out.print(table)


def _job_result(job: dict[str, Any], timezone: str) -> Text:
    if job.get("running_since"):
        return text(f"running since {local_time(job['running_since'], timezone)}")
    if job.get("consecutive_failures"):
        failed = styled(f"failed x{job['consecutive_failures']}: ", "red")
        return failed + str(job.get("last_error"))
    result = str(job.get("last_outcome") or "")
    return text(f"{result}: {job['last_note']}" if job.get("last_note") else result)


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
        table = new_table(title=f"{settings.site.name}: device check", title_justify="left")
        for column in ("device", "address", "tcp", "host key", "login", "prompt", "problem"):
            table.add_column(column, overflow="fold")
        for r in results:
            device = styled(r.device, "green" if r.ok else "red")
            table.add_row(device, r.address, r.tcp, r.hostkey, r.login, r.prompt, r.detail)
        out.print(table)
        out.print(f"{len(results) - len(failed)} ok, {len(failed)} failed")
    raise click.exceptions.Exit(EXIT_DEVICE if failed else EXIT_OK)
