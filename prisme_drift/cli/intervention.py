"""The intervention report's commands: ``ticket note`` (what people add) and
``report intervention`` (the document)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prisme_drift.cli.app import Context, err, out, pass_ctx
from prisme_drift.cli.report import document_options, report, sent_dict
from prisme_drift.cli.ticket import ticket
from prisme_drift.errors import ConfigError

if TYPE_CHECKING:
    from prisme_drift.report.monthly_service import Sent


@ticket.command("note")
@click.argument("ticket_id")
@click.option(
    "--tests",
    "tests_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML list of tests: what, expected, observed, result (ok or ko).",
)
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A photo, schematic or video to keep with the report (repeatable).",
)
@click.option("--technician", default="", help="Who did the work on site.")
@click.option("--remark", default="", help="A free remark printed in the report.")
@click.option("--by", default=None, help="Who records this (default: the current user).")
@pass_ctx
def ticket_note(
    ctx: Context,
    ticket_id: str,
    tests_file: Path | None,
    attachments: tuple[Path, ...],
    technician: str,
    remark: str,
    by: str | None,
) -> None:
    """Add tests, attachments, the technician or a remark to a ticket's intervention report
    (recorded in the audit trail; attachments are copied beside the reports)."""
    # imported here: the registry and the report stack cost start-up time '--help' skips
    from prisme_drift.authorize.registry import default_actor
    from prisme_drift.cli.ticket_edits import open_registry
    from prisme_drift.report.intervention_sources import NOTE_ACTION, find_ticket
    from prisme_drift.report.notes import (
        check_attachments,
        discard,
        interventions_folder,
        load_tests,
        report_stem,
        store_attachments,
    )

    if not (tests_file or attachments or technician.strip() or remark.strip()):
        raise ConfigError(
            f"ticket note {ticket_id}: nothing to record; give --tests FILE, --attach FILE, "
            "--technician NAME or --remark TEXT"
        )
    tests = load_tests(tests_file) if tests_file else []
    check_attachments(attachments)
    settings = ctx.settings()
    folder = interventions_folder(settings)
    stored = []
    try:
        with open_registry(settings) as (registry, audit):
            found = find_ticket(settings, registry.session, ticket_id)
            stored = store_attachments(
                folder, report_stem(settings.site.name, found.id), attachments
            )
            details = {
                "technician": technician.strip(),
                "remark": remark.strip(),
                "tests": tests,
                "attachments": [s.as_dict() for s in stored],
            }
            audit.append(by or default_actor(), NOTE_ACTION, found.id, details)
    except BaseException:
        discard(folder, stored)
        raise
    ko = sum(t["result"] == "ko" for t in tests)
    out.print(f"note recorded on ticket {ticket_id}: {len(tests)} test(s) ({ko} ko), "
              f"{len(stored)} attachment(s)")  # fmt: skip
    for item in stored:
        out.print(f"  {folder / item.path}  {item.size} bytes  sha256 {item.sha256}")


@ticket.command("ack")
@click.argument("ticket_id")
@click.option("--by", "name", required=True, help="Who read the report (client or technician).")
@click.option(
    "--role", required=True, type=click.Choice(["client", "technician"]), help="Their role."
)
@click.option("--comment", default="", help="What they said, printed with the acknowledgment.")
@pass_ctx
def ticket_ack(ctx: Context, ticket_id: str, name: str, role: str, comment: str) -> None:
    """Record that the client or the technician read the ticket's intervention report (its
    latest PDF, by SHA-256); the next version prints it in the signature block. Refused
    (exit 5) while the ticket has no report."""
    from prisme_drift.cli.ticket_edits import open_registry
    from prisme_drift.report.intervention_ack import (
        ACK_ACTION,
        ack_details,
        host_user,
        report_to_acknowledge,
    )
    from prisme_drift.report.intervention_sources import find_ticket

    if not name.strip():
        raise ConfigError(f"ticket ack {ticket_id}: --by is empty; give the person's name")
    settings = ctx.settings()
    with open_registry(settings) as (registry, audit):
        found = find_ticket(settings, registry.session, ticket_id)
        pdf = report_to_acknowledge(registry.session, settings.site.name, found.id)
        details = ack_details(pdf, role, comment.strip(), host_user())
        audit.append(name.strip(), ACK_ACTION, found.id, details)
    out.print(f"acknowledgment recorded: {name.strip()} ({role}) read {pdf.number}, {pdf.path}")
    out.print(f"  sha256 {pdf.sha256}")
    out.print(f"the next version prints it: 'prisme-drift report intervention {found.id}'")


@report.command("intervention")
@click.argument("ticket_id")
@document_options(out_default="[report] output + '/interventions'")
@click.option(
    "--send",
    is_flag=True,
    help="Email this version with the PDF to [report] client_to/client_cc, IT in copy.",
)
@pass_ctx
def intervention(
    ctx: Context, ticket_id: str, out_dir: Path | None, formats: str, lang: str | None,
    as_json: bool, send: bool,
) -> None:  # fmt: skip
    """The intervention report of a ticket: plan, before, during, after, tests, signatures.
    Each run writes a new version; --send emails it (once per version)."""
    from prisme_drift.report.intervention_send import send_intervention
    from prisme_drift.report.intervention_service import write_intervention
    from prisme_drift.report.monthly_service import require_mail
    from prisme_drift.report.render import parse_formats

    settings = ctx.settings()
    wanted = parse_formats(formats)
    if send:
        require_mail(settings)
        if "pdf" not in wanted:
            raise ConfigError("--send attaches the PDF: keep pdf in --format")
    written = write_intervention(settings, ticket_id, out_dir=out_dir, formats=wanted, lang=lang)
    sent = send_intervention(settings, written) if send else None
    if as_json:
        result = written.as_dict()
        if sent is not None:
            result["sent"] = sent_dict(sent)
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for path in written.files.values():
        out.print(f"written: {path}")
    f = written.figures
    out.print(
        f"{f['number']} (version {f['version']}): {len(f['devices_in_scope'])} device(s) in "
        f"scope, {f['changes_in_window']} change(s) in the window, {f['out_of_scope']} out of "
        f"scope, {f['changes_outside_window']} outside the window, {f['tests']} test(s)"
    )
    if sent is not None:
        print_sent(sent, int(f["version"]))


def print_sent(sent: Sent, version: int) -> None:
    """One line: sent, or queued and why it is not delivered yet."""
    where = ", ".join(sent.to) + (f" (cc {', '.join(sent.cc)})" if sent.cc else "")
    if not sent.new:
        out.print(f"version {version} already queued (outbox {sent.message_id}, {sent.status}); "
                  "not sent again")  # fmt: skip
    elif sent.status == "sent":
        out.print(f"version {version} sent to {where} (outbox {sent.message_id})")
    else:
        err.print(
            f"version {version} queued for {where} (outbox {sent.message_id}) but not "
            f"delivered yet: {sent.error}; the daemon retries it, or 'prisme-drift outbox "
            f"retry {sent.message_id}'"
        )
