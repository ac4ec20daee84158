"""Audit trail commands: verify the hash chain, list the entries."""

from __future__ import annotations

import json

import click

from prisme_drift.cli.app import EXIT_OK, EXIT_OPERATIONAL, Context, cli, out, pass_ctx
from prisme_drift.timefmt import local_time


@cli.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check that no audit entry was edited or deleted; exit 7 if one was."""
    from prisme_drift.cli.ticket_edits import open_registry

    settings = ctx.settings()
    with open_registry(settings) as (_, log):
        problems = log.verify()
        count = len(log.entries())
    if problems:
        for problem in problems:
            click.echo(f"audit: {problem}", err=True)
        raise click.exceptions.Exit(EXIT_OPERATIONAL)
    out.print(f"audit trail verified: {count} entries, chain and head intact")
    raise click.exceptions.Exit(EXIT_OK)


@audit.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_list(ctx: Context, as_json: bool) -> None:
    """Every audit entry, oldest first."""
    from prisme_drift.cli.ticket_edits import open_registry

    settings = ctx.settings()
    with open_registry(settings) as (_, log):
        entries = log.entries()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "action": e.action,
                        "subject": e.subject,
                        "details": e.details,
                        "hash": e.hash,
                    }
                    for e in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for e in entries:
        out.print(
            f"{e.id:5} {local_time(e.at, settings.site.timezone)} {e.actor:20} {e.action:18} "
            f"{e.subject}"
        )
