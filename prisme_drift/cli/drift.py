"""Drift commands: list, show, accept."""

from __future__ import annotations

import json

import click

from prisme_drift.cli.app import Context, cli, out, pass_ctx
from prisme_drift.cli.site import print_items
from prisme_drift.timefmt import local_time

TIMES = ("opened_at", "closed_at", "appeared_after")


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
    from prisme_drift.drift.items import list_items

    settings = ctx.settings()
    items = list_items(settings, include_closed=include_closed, device=device)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
    else:
        title = "drift items" if include_closed else "open drift"
        print_items(items, title, settings.site.timezone)


@drift.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def drift_show(ctx: Context, item_id: int, as_json: bool) -> None:
    """One drift item in full, with its remediation hint."""
    from prisme_drift.drift.items import get_item

    settings = ctx.settings()
    item = get_item(settings, item_id)
    if as_json:
        click.echo(json.dumps(item.as_dict(), indent=2, ensure_ascii=False))
        return
    tz = settings.site.timezone
    for key, value in item.as_dict().items():
        if key in ("lines", "removed", "added", "remediation", "path"):
            continue
        shown = local_time(getattr(item, key), tz) if key in TIMES else value
        out.print(f"{key:15} {shown if shown is not None else ''}")
    out.print("change:")
    for p in item.path:
        out.print(f"    {p}")
    for line in item.lines():
        out.print(f"    {line}")
    if item.remediation:
        out.print("remediation (suggested, never applied):")
        for line in item.remediation:
            out.print(f"    {line}")


@drift.command("accept")
@click.argument("item_id", type=int)
@click.option("--by", required=True, help="Who accepts the change.")
@click.option("--reason", required=True, help="Why (kept in the baseline commit and the item).")
@pass_ctx
def drift_accept(ctx: Context, item_id: int, by: str, reason: str) -> None:
    """Accept a change after the fact: the approved baseline moves forward by it."""
    from prisme_drift.drift.accept import accept_item

    item = accept_item(ctx.settings(), item_id, by, reason)
    out.print(f"drift item {item.id} on {item.device} accepted by {by}; approved baseline moved")
