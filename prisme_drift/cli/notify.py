"""Notification commands: notify test, outbox list / retry / send."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import (
    EXIT_OK,
    EXIT_OPERATIONAL,
    EXIT_USAGE,
    Context,
    cli,
    new_table,
    out,
    pass_ctx,
)
from prisme_drift.timefmt import local_time

if TYPE_CHECKING:
    from prisme_drift.config import Settings


def _no_channel(settings: Settings) -> click.exceptions.Exit:
    click.echo(
        f"no notification channel in {settings.source}: add an [smtp] or a [webhook] section, "
        "or chat URLs in [notify] urls (see docs/alerts.md)",
        err=True,
    )
    return click.exceptions.Exit(EXIT_USAGE)


# -- notify -------------------------------------------------------------------------------------
@cli.group()
def notify() -> None:
    """Check the notification channels."""


@notify.command("test")
@click.option(
    "--channel",
    metavar="NAME",
    help="Only this channel: email, webhook, or a chat channel's name (default: all).",
)
@pass_ctx
def notify_test(ctx: Context, channel: str | None) -> None:
    """Send a test message now on each channel; say exactly what failed and how to fix it."""
    from prisme_drift.notify.check import check_channels
    from prisme_drift.notify.registry import configured_channels

    settings = ctx.settings()
    names = configured_channels(settings)
    if not names:
        raise _no_channel(settings)
    if channel is not None and channel not in names:
        raise click.BadParameter(
            f"no channel {channel!r} in {settings.source}; its channels: {', '.join(names)}",
            param_hint="--channel",
        )
    results = check_channels(settings, channel)
    for r in results:
        for warning in r.warnings:
            click.echo(f"warning: {warning}", err=True)
        if r.ok:
            out.print(f"{r.channel}: OK, test message {r.detail}", markup=False)
            out.print(f"  via {r.target}", markup=False)
            continue
        out.print(f"{r.channel}: FAILED ({r.kind}): {r.detail}", markup=False)
        out.print(f"  via {r.target}", markup=False)
        if r.fix:
            out.print(f"  fix: {r.fix}", markup=False)
    raise click.exceptions.Exit(EXIT_OK if all(r.ok for r in results) else EXIT_OPERATIONAL)


# -- outbox -------------------------------------------------------------------------------------
@cli.group()
def outbox() -> None:
    """Notifications waiting to be delivered (or delivered, with --all)."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_done", is_flag=True, help="Include sent and digested messages.")
@pass_ctx
def outbox_list(ctx: Context, as_json: bool, include_done: bool) -> None:
    """Pending and failed messages, oldest first."""
    from prisme_drift.notify.sender import list_outbox

    settings = ctx.settings()
    tz = settings.site.timezone
    messages = list_outbox(settings, include_done)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in messages], indent=2, ensure_ascii=False))
        return
    if not messages:
        out.print("outbox: empty" if include_done else "outbox: nothing pending or failed")
        return
    table = new_table(title="outbox", title_justify="left")
    for column in ("id", "channel", "status", "tries", "created", "next try / sent", "summary"):
        table.add_column(column, overflow="fold")
    table.add_column("last error", overflow="fold", max_width=60)
    for m in messages:
        when = local_time(m.sent_at or m.next_attempt_at, tz)
        table.add_row(
            str(m.id),
            m.channel,
            m.status if m.digest_id is None else f"{m.status} -> {m.digest_id}",
            str(m.attempts),
            local_time(m.created_at, tz),
            when,
            m.summary,
            m.last_error or "",
        )
    out.print(table)


@outbox.command("retry")
@click.argument("message_id", type=int)
@pass_ctx
def outbox_retry(ctx: Context, message_id: int) -> None:
    """Deliver one pending or failed message now (a failed one gets a fresh retry period)."""
    from prisme_drift.notify.sender import deliver_message

    report = deliver_message(ctx.settings(), message_id)
    if report.sent:
        out.print(f"outbox {message_id}: delivered")
        return
    for error in report.errors:
        out.print(error)
    out.print(f"outbox {message_id}: not delivered; it stays in the outbox and is retried")
    raise click.exceptions.Exit(EXIT_OPERATIONAL)


@outbox.command("send")
@pass_ctx
def outbox_send(ctx: Context) -> None:
    """Deliver every due message now (what 'run' does after a poll)."""
    from prisme_drift.notify.sender import deliver_due

    settings = ctx.settings()
    report = deliver_due(settings)
    for error in report.errors:
        click.echo(error, err=True)
    out.print(report.line(), markup=False)
    waiting = report.waiting_line(settings.site.timezone)
    if waiting:
        out.print(waiting, markup=False)
    raise click.exceptions.Exit(EXIT_OPERATIONAL if report.errors else EXIT_OK)
