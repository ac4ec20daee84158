"""How tickets read on a terminal: the list as a table, one ticket as labelled lines, times in
the site's timezone."""

from __future__ import annotations

from prisme_drift.authorize.model import Ticket
from prisme_drift.cli.app import new_table, out
from prisme_drift.config import Settings
from prisme_drift.timefmt import local_time


def window(t: Ticket, timezone: str) -> str:
    """The ticket's window, both ends in ``timezone``."""
    return f"{local_time(t.start, timezone)} → {local_time(t.end, timezone)}"


def print_tickets(settings: Settings, rows: list[tuple[Ticket, str, str]]) -> None:
    """``ticket list``: one row per ticket, refused ones with their reasons."""
    table = new_table(title=f"{settings.site.name}: tickets", title_justify="left")
    for column in ("id", "status", "source", "scope", "categories", "window", "title"):
        table.add_column(column, overflow="fold")
    for t, status, why in rows:
        scope = ", ".join([*t.devices, *(f"group {g}" for g in t.groups)]) or "site"
        table.add_row(
            t.id,
            f"{status}: {why}" if why else status,
            t.source,
            scope,
            ", ".join(t.categories),
            window(t, settings.site.timezone),
            t.title,
        )
    out.print(table)


def ticket_fields(t: Ticket, timezone: str) -> list[tuple[str, str]]:
    """``ticket show``: (label, value) lines a person reads, times in the site's timezone."""
    scope = [*t.devices, *(f"group {g}" for g in t.groups)] + (
        ["whole site"] if t.whole_site else []
    )
    approval = (
        f"{t.approval.by}, {local_time(t.approval.at, timezone)} (ref. {t.approval.ref})"
        if t.approval
        else "not approved"
    )
    kind = str(t.kind)
    if t.expires_at is not None:
        kind += f", expires {local_time(t.expires_at, timezone)}"
    return [
        ("id", t.id),
        ("title", t.title),
        ("status", str(t.status)),
        ("source", t.source),
        ("scope", ", ".join(scope)),
        ("categories", ", ".join(t.categories)),
        ("window", window(t, timezone)),
        ("kind", kind),
        ("requested by", t.requested_by),
        ("approval", approval),
        ("rollback", t.rollback or "(none)"),
        ("mandate", t.mandate or ""),
    ]
