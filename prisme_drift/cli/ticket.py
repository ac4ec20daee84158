"""Ticket and audit commands: add, approve, list, show, close, cancel, import; audit verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.table import Table

from prisme_drift.authorize.model import Ticket, TicketKind, TicketStatus
from prisme_drift.authorize.policy import policy_problems
from prisme_drift.authorize.registry import (
    AuditLog,
    TicketError,
    TicketRegistry,
    approve,
    default_actor,
    edit_draft,
    set_status,
)
from prisme_drift.authorize.service import load_tickets
from prisme_drift.authorize.sources import load_ticket_file
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.cli.app import EXIT_OK, EXIT_OPERATIONAL, Context, cli, out, pass_ctx
from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.models import Category, DeviceRef
from prisme_drift.statedir import ensure_state
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.timefmt import local_time, parse_time

CATEGORIES = [c.value for c in Category]


@contextmanager
def _registry(settings: Settings) -> Iterator[tuple[TicketRegistry, AuditLog]]:
    ensure_state(settings)  # never recreate a lost state folder (and its database) silently
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine).begin() as session:
            audit = AuditLog(session, settings.site.name, settings.state_path)
            yield TicketRegistry(session, settings.site.name), audit
        audit.committed()
    finally:
        engine.dispose()


def parse_when(value: str, timezone: str, option: str) -> datetime:
    """ISO date-time with an offset or a zone name in brackets; without either it is taken in
    the site's timezone. Returned in the site's timezone (the same instant)."""
    try:
        return parse_time(value, timezone)
    except ValueError as exc:
        raise ConfigError(
            f"{option} {value!r}: not an ISO date-time (e.g. 2026-12-01T08:00, "
            f"2026-12-01T08:00+04:00 or 2026-12-01T06:00[Europe/Paris]): {exc}"
        ) from exc


@cli.group()
def ticket() -> None:
    """Change tickets: the written approvals that authorize changes."""


@ticket.command("add")
@click.argument("ticket_id")
@click.option("--title", required=True)
@click.option("--device", "devices", multiple=True, help="A device in scope (repeatable).")
@click.option("--group", "groups", multiple=True, help="An inventory group in scope (repeatable).")
@click.option("--site", "whole_site", is_flag=True, help="The whole site is in scope.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    required=True,
    type=click.Choice(CATEGORIES),
    help="A change category covered (repeatable).",
)
@click.option("--start", required=True, help="Window start, ISO (site timezone if no offset).")
@click.option("--end", required=True, help="Window end, ISO.")
@click.option("--rollback", default="", help="The rollback plan (required to approve).")
@click.option("--transitional-until", "until", help="Transitional change: its expiry, ISO.")
@click.option("--mandate", help="Manufacturer mandate reference (restricted devices).")
@click.option("--requested-by", "requested_by", default="")
@pass_ctx
def ticket_add(
    ctx: Context,
    ticket_id: str,
    title: str,
    devices: tuple[str, ...],
    groups: tuple[str, ...],
    whole_site: bool,
    categories: tuple[str, ...],
    start: str,
    end: str,
    rollback: str,
    until: str | None,
    mandate: str | None,
    requested_by: str,
) -> None:
    """Create a draft ticket."""
    settings = ctx.settings()
    tz = settings.site.timezone
    try:
        new = Ticket(
            id=ticket_id,
            title=title,
            requested_by=requested_by,
            devices=devices,
            groups=groups,
            whole_site=whole_site,
            categories=tuple(Category(c) for c in categories),
            start=parse_when(start, tz, "--start"),
            end=parse_when(end, tz, "--end"),
            rollback=rollback,
            kind=TicketKind.TRANSITIONAL if until else TicketKind.DEFINITIVE,
            expires_at=parse_when(until, tz, "--transitional-until") if until else None,
            mandate=mandate,
            status=TicketStatus.DRAFT,
            source="cli",
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'ticket'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"ticket {ticket_id} not created", problems=problems) from exc
    with _registry(settings) as (registry, audit):
        registry.add(new)
        audit.append(requested_by or default_actor(), "ticket.add", new.id, new.as_dict())
    out.print(
        f"ticket {new.id} created as draft: window {_window(new, tz)}; approve it with "
        f"'prisme-drift ticket approve {new.id} --by NAME --ref REF'"
    )


def _inventory_refs(settings: Settings) -> dict[str, DeviceRef]:
    from prisme_drift.inventory import build_nornir, device_refs

    refs: dict[str, DeviceRef] = device_refs(build_nornir(settings))
    return refs


@ticket.command("approve")
@click.argument("ticket_id")
@click.option("--by", required=True, help="Who approved (the signatory of the written approval).")
@click.option("--ref", required=True, help="Reference of the written approval.")
@pass_ctx
def ticket_approve(ctx: Context, ticket_id: str, by: str, ref: str) -> None:
    """Approve a draft ticket; refused without rollback plan, expiry or mandate."""
    settings = ctx.settings()
    refs = _inventory_refs(settings)
    with _registry(settings) as (registry, audit):
        approved = approve(registry.get(ticket_id), refs, by, ref)
        registry.save(approved)
        audit.append(by, "ticket.approve", ticket_id, {"ref": ref})
    out.print(f"ticket {ticket_id} approved by {by} ({ref})")


@ticket.command("edit")
@click.argument("ticket_id")
@click.option("--title")
@click.option("--device", "devices", multiple=True, help="Devices in scope (replace the list).")
@click.option("--group", "groups", multiple=True, help="Groups in scope (replace the list).")
@click.option("--site/--no-site", "whole_site", default=None, help="The whole site in scope.")
@click.option(
    "--category",
    "categories",
    multiple=True,
    type=click.Choice(CATEGORIES),
    help="Categories covered (replace the list).",
)
@click.option("--start", help="Window start, ISO (site timezone if no offset).")
@click.option("--end", help="Window end, ISO.")
@click.option("--rollback", help="The rollback plan.")
@click.option("--transitional-until", "until", help="Make it transitional, expiring then (ISO).")
@click.option("--definitive", is_flag=True, help="Make it definitive (drops the expiry).")
@click.option("--mandate", help="Manufacturer mandate reference ('' removes it).")
@click.option("--requested-by", "requested_by")
@click.option("--by", default=None, help="Who edits (default: the current user).")
@pass_ctx
def ticket_edit(ctx: Context, /, ticket_id: str, by: str | None, **options: Any) -> None:
    """Change a draft ticket (an approved one must be cancelled and re-created)."""
    settings = ctx.settings()
    changes = _edits(options, settings.site.timezone)
    if not changes:
        raise ConfigError(
            f"ticket edit {ticket_id}: nothing to change; give at least one option "
            "(see 'prisme-drift ticket edit --help')"
        )
    with _registry(settings) as (registry, audit):
        edited, diff = edit_draft(registry.get(ticket_id), changes)
        if diff["after"]:
            registry.save(edited)
            audit.append(by or default_actor(), "ticket.edit", ticket_id, diff)
    fields = ", ".join(diff["after"]) or "nothing (same values)"
    out.print(f"ticket {ticket_id} (draft) changed: {fields}")


def _edits(options: dict[str, Any], tz: str) -> dict[str, Any]:
    """The ticket fields the edit options set (repeatable options replace the whole list)."""
    changes: dict[str, Any] = {}
    for key in ("title", "rollback", "requested_by", "whole_site"):
        if options[key] is not None:
            changes[key] = options[key]
    for key in ("devices", "groups"):
        if options[key]:
            changes[key] = tuple(options[key])
    if options["categories"]:
        changes["categories"] = tuple(Category(c) for c in options["categories"])
    for key in ("start", "end"):
        if options[key] is not None:
            changes[key] = parse_when(str(options[key]), tz, f"--{key}")
    if options["mandate"] is not None:
        changes["mandate"] = str(options["mandate"]) or None
    if options["until"] is not None and options["definitive"]:
        raise ConfigError("--transitional-until and --definitive contradict each other")
    if options["until"] is not None:
        changes["kind"] = TicketKind.TRANSITIONAL
        changes["expires_at"] = parse_when(str(options["until"]), tz, "--transitional-until")
    if options["definitive"]:
        changes["kind"], changes["expires_at"] = TicketKind.DEFINITIVE, None
    return changes


def _window(t: Ticket, timezone: str) -> str:
    return f"{local_time(t.start, timezone)} → {local_time(t.end, timezone)}"


_STATUS_HELP = {
    "close": "Close an approved ticket once its work is done (CLOSED): it no longer "
    "authorizes anything. Refused (exit 5) if the ticket is unknown or already closed or "
    "cancelled.",
    "cancel": "Cancel a ticket whose work will not happen (CANCELLED): it no longer "
    "authorizes anything. Refused (exit 5) if the ticket is unknown or already closed or "
    "cancelled.",
}


def _status_command(name: str, status: TicketStatus) -> None:
    @ticket.command(name, help=_STATUS_HELP[name])
    @click.argument("ticket_id")
    @click.option(
        "--by", default=None, help="Who, for the audit trail (default: the current user)."
    )
    @pass_ctx
    def command(ctx: Context, ticket_id: str, by: str | None) -> None:
        settings = ctx.settings()
        with _registry(settings) as (registry, audit):
            registry.save(set_status(registry.get(ticket_id), status))
            audit.append(by or default_actor(), f"ticket.{name}", ticket_id, {})
        out.print(f"ticket {ticket_id} {status}")


_status_command("close", TicketStatus.CLOSED)
_status_command("cancel", TicketStatus.CANCELLED)


@ticket.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default=None)
@pass_ctx
def ticket_import(ctx: Context, file: Path, by: str | None) -> None:
    """Import tickets from a YAML file into the database (all or nothing); an approved one
    must pass the same checks as 'ticket approve'."""
    settings = ctx.settings()
    tickets = load_ticket_file(file, source="cli")
    refs = _inventory_refs(settings)
    problems = [
        f"ticket {t.id}: {p}" for t in tickets if authorizes(t) for p in policy_problems(t, refs)
    ]
    if problems:
        raise TicketError(
            f"{file}: nothing imported, approved tickets fail the approval checks:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    with _registry(settings) as (registry, audit):
        for item in tickets:
            registry.add(item)
            audit.append(
                by or default_actor(),
                "ticket.import",
                item.id,
                {"file": str(file), **item.as_dict()},
            )
    out.print(f"{len(tickets)} ticket(s) imported from {file}")


@ticket.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ticket_list(ctx: Context, as_json: bool) -> None:
    """Tickets from every source (database, tickets folder, GLPI)."""
    settings = ctx.settings()
    refs = _inventory_refs(settings)
    with _registry(settings) as (registry, _audit):
        loaded = load_tickets(settings, registry, refs)
    rows = [(t, str(t.status), "") for t in loaded.tickets]
    rows += [(r.ticket, "refused", "; ".join(r.reasons)) for r in loaded.refused]
    rows.sort(key=lambda row: row[0].id)
    if as_json:
        listed = [
            {**t.as_dict(), "status": status, **({"refused": why} if why else {})}
            for t, status, why in rows
        ]
        click.echo(json.dumps(listed, indent=2, ensure_ascii=False))
    else:
        _print_tickets(settings, rows)
    for problem in loaded.problems:
        click.echo(f"warning: {problem}", err=True)
    for refusal in loaded.refused:
        click.echo(f"warning: {refusal.line()}", err=True)


def _print_tickets(settings: Settings, rows: list[tuple[Ticket, str, str]]) -> None:
    table = Table(title=f"{settings.site.name}: tickets", title_justify="left")
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
            _window(t, settings.site.timezone),
            t.title,
        )
    out.print(table)


@ticket.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as one JSON object.")
@pass_ctx
def ticket_show(ctx: Context, ticket_id: str, as_json: bool) -> None:
    """One ticket in full: scope, window (site timezone), approval, rollback plan."""
    settings = ctx.settings()
    refs = _inventory_refs(settings)
    with _registry(settings) as (registry, _audit):
        loaded = load_tickets(settings, registry, refs)
    match = [t.as_dict() for t in loaded.tickets if t.id == ticket_id]
    match += [
        {**r.ticket.as_dict(), "status": "refused", "refused": "; ".join(r.reasons)}
        for r in loaded.refused
        if r.ticket.id == ticket_id
    ]
    if not match:
        raise TicketError(f"no ticket {ticket_id!r}; see 'prisme-drift ticket list'")
    if as_json:
        click.echo(json.dumps(match[0], indent=2, ensure_ascii=False))
        return
    shown = [t for t in loaded.tickets if t.id == ticket_id]
    shown += [r.ticket for r in loaded.refused if r.ticket.id == ticket_id]
    fields = ticket_fields(shown[0], settings.site.timezone)
    if "refused" in match[0]:
        fields.insert(3, ("refused", str(match[0]["refused"])))
        fields[2] = ("status", "refused")
    for label, value in fields:
        out.print(f"{label:15} {value}")


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
        ("window", _window(t, timezone)),
        ("kind", kind),
        ("requested by", t.requested_by),
        ("approval", approval),
        ("rollback", t.rollback or "(none)"),
        ("mandate", t.mandate or ""),
    ]


@cli.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check that no audit entry was edited or deleted; exit 7 if one was."""
    settings = ctx.settings()
    with _registry(settings) as (_, log):
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
    settings = ctx.settings()
    with _registry(settings) as (_, log):
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
