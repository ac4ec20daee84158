"""Ticket commands: add, approve, edit, close, cancel, import, list, show.

Only click runs at start-up: each command imports what it uses when it runs (``ticket_edits``,
``ticket_views``, the authorize package).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from prisme_drift.cli.app import Context, cli, out, pass_ctx
from prisme_drift.models import Category

if TYPE_CHECKING:
    from prisme_drift.config import Settings
    from prisme_drift.report.intervention_service import InterventionWritten

CATEGORIES = [c.value for c in Category]


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
def ticket_add(ctx: Context, /, ticket_id: str, **options: Any) -> None:
    """Create a draft ticket."""
    from prisme_drift.authorize.registry import default_actor
    from prisme_drift.cli.ticket_edits import draft_ticket, open_registry
    from prisme_drift.cli.ticket_views import window

    settings = ctx.settings()
    tz = settings.site.timezone
    new = draft_ticket(ticket_id, tz, options)
    with open_registry(settings) as (registry, audit):
        registry.add(new)
        audit.append(
            options["requested_by"] or default_actor(), "ticket.add", new.id, new.as_dict()
        )
    out.print(
        f"ticket {new.id} created as draft: window {window(new, tz)}; approve it with "
        f"'prisme-drift ticket approve {new.id} --by NAME --ref REF'"
    )


@ticket.command("approve")
@click.argument("ticket_id")
@click.option("--by", required=True, help="Who approved (the signatory of the written approval).")
@click.option("--ref", required=True, help="Reference of the written approval.")
@pass_ctx
def ticket_approve(ctx: Context, ticket_id: str, by: str, ref: str) -> None:
    """Approve a draft ticket; refused without rollback plan, expiry or mandate."""
    from prisme_drift.authorize.registry import approve
    from prisme_drift.cli.ticket_edits import inventory_refs, open_registry

    settings = ctx.settings()
    refs = inventory_refs(settings)
    with open_registry(settings) as (registry, audit):
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
    from prisme_drift.authorize.registry import default_actor, edit_draft
    from prisme_drift.cli.ticket_edits import edits, open_registry
    from prisme_drift.errors import ConfigError

    settings = ctx.settings()
    changes = edits(options, settings.site.timezone)
    if not changes:
        raise ConfigError(
            f"ticket edit {ticket_id}: nothing to change; give at least one option "
            "(see 'prisme-drift ticket edit --help')"
        )
    with open_registry(settings) as (registry, audit):
        edited, diff = edit_draft(registry.get(ticket_id), changes)
        if diff["after"]:
            registry.save(edited)
            audit.append(by or default_actor(), "ticket.edit", ticket_id, diff)
    fields = ", ".join(diff["after"]) or "nothing (same values)"
    out.print(f"ticket {ticket_id} (draft) changed: {fields}")


_STATUS_HELP = {
    "close": "Close an approved ticket once its work is done (CLOSED): it no longer "
    "authorizes anything, and its intervention report is written. Refused (exit 5) if the "
    "ticket is unknown or already closed or cancelled.",
    "cancel": "Cancel a ticket whose work will not happen (CANCELLED): it no longer "
    "authorizes anything. Refused (exit 5) if the ticket is unknown or already closed or "
    "cancelled.",
}


def _status_command(name: str, status: str) -> None:
    @pass_ctx
    def command(ctx: Context, ticket_id: str, by: str | None, with_report: bool = False) -> None:
        from prisme_drift.authorize.model import TicketStatus
        from prisme_drift.authorize.registry import default_actor, set_status
        from prisme_drift.cli.ticket_edits import open_registry

        settings = ctx.settings()
        with open_registry(settings) as (registry, audit):
            registry.save(set_status(registry.get(ticket_id), TicketStatus(status)))
            audit.append(by or default_actor(), f"ticket.{name}", ticket_id, {})
        out.print(f"ticket {ticket_id} {status}")
        if with_report:
            _intervention_report(settings, ticket_id, by)

    if status == "closed":
        command = click.option(
            "--report/--no-report",
            "with_report",
            default=True,
            help="Write the intervention report (default) or not.",
        )(command)
    command = click.option(
        "--by", default=None, help="Who, for the audit trail (default: the current user)."
    )(command)
    ticket.command(name, help=_STATUS_HELP[name])(click.argument("ticket_id")(command))


def _intervention_report(settings: Settings, ticket_id: str, by: str | None) -> None:
    """``ticket close`` writes the intervention report (a later one is a new version)."""
    # imported here: WeasyPrint and the report stack cost start-up time other commands skip
    from prisme_drift.errors import PrismeDriftError
    from prisme_drift.report.intervention_send import wants_mail
    from prisme_drift.report.intervention_service import write_intervention

    send = wants_mail(settings)
    again = f"prisme-drift report intervention {ticket_id}" + (" --send" if send else "")
    try:
        written = write_intervention(settings, ticket_id, actor=by)
        for path in written.files.values():
            out.print(f"intervention report: {path}")
        if send:
            _send_first(settings, written)
        elif settings.smtp is not None:
            out.print("intervention report not emailed: [report] client_to is empty; "
                      f"'{again} --send' sends it to IT alone")  # fmt: skip
    except PrismeDriftError:
        click.echo(
            f"ticket {ticket_id} is closed, but its intervention report was not "
            f"{'written or sent' if send else 'written'}; fix the problem below, then run "
            f"'{again}'",
            err=True,
        )
        raise


def _send_first(settings: Settings, written: InterventionWritten) -> None:
    """Email the report to the client and IT, unless a version of it was already queued."""
    from prisme_drift.cli.intervention import print_sent
    from prisme_drift.report.intervention_send import send_intervention

    sent = send_intervention(settings, written, first_only=True)
    if sent is None:
        out.print("intervention report: an earlier version is already queued for email; not sent "
                  "again: "
                  f"'prisme-drift report intervention {written.figures['ticket']} --send' "
                  "sends this one")  # fmt: skip
    else:
        print_sent(sent, int(written.figures["version"]))


_status_command("close", "closed")
_status_command("cancel", "cancelled")


@ticket.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default=None)
@pass_ctx
def ticket_import(ctx: Context, file: Path, by: str | None) -> None:
    """Import tickets from a YAML file into the database (all or nothing); an approved one
    must pass the same checks as 'ticket approve'."""
    from prisme_drift.authorize.policy import policy_problems
    from prisme_drift.authorize.registry import TicketError, default_actor
    from prisme_drift.authorize.sources import load_ticket_file
    from prisme_drift.authorize.verdicts import authorizes
    from prisme_drift.cli.ticket_edits import inventory_refs, open_registry

    settings = ctx.settings()
    tickets = load_ticket_file(file, source="cli")
    refs = inventory_refs(settings)
    problems = [
        f"ticket {t.id}: {p}" for t in tickets if authorizes(t) for p in policy_problems(t, refs)
    ]
    if problems:
        raise TicketError(
            f"{file}: nothing imported, approved tickets fail the approval checks:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    with open_registry(settings) as (registry, audit):
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
    from prisme_drift.authorize.service import load_tickets
    from prisme_drift.cli.ticket_edits import inventory_refs, open_registry
    from prisme_drift.cli.ticket_views import print_tickets

    settings = ctx.settings()
    refs = inventory_refs(settings)
    with open_registry(settings) as (registry, _audit):
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
        print_tickets(settings, rows)
    for problem in loaded.problems:
        click.echo(f"warning: {problem}", err=True)
    for refusal in loaded.refused:
        click.echo(f"warning: {refusal.line()}", err=True)


@ticket.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as one JSON object.")
@pass_ctx
def ticket_show(ctx: Context, ticket_id: str, as_json: bool) -> None:
    """One ticket in full: scope, window (site timezone), approval, rollback plan."""
    from prisme_drift.authorize.registry import TicketError
    from prisme_drift.authorize.service import load_tickets
    from prisme_drift.cli.ticket_edits import inventory_refs, open_registry
    from prisme_drift.cli.ticket_views import ticket_fields

    settings = ctx.settings()
    refs = inventory_refs(settings)
    with open_registry(settings) as (registry, _audit):
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
