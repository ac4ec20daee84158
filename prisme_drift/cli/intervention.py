"""The intervention report's commands: ``ticket note`` (what people add) and
``report intervention`` (the document)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from prisme_drift.cli.app import Context, out, pass_ctx
from prisme_drift.cli.report import document_options, report
from prisme_drift.cli.ticket import ticket
from prisme_drift.errors import ConfigError


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


@report.command("intervention")
@click.argument("ticket_id")
@document_options(out_default="[report] output + '/interventions'")
@pass_ctx
def intervention(
    ctx: Context, ticket_id: str, out_dir: Path | None, formats: str, lang: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """The intervention report of a ticket: plan, before, during, after, tests, signatures."""
    from prisme_drift.report.intervention_service import write_intervention
    from prisme_drift.report.render import parse_formats

    settings = ctx.settings()
    written = write_intervention(
        settings, ticket_id, out_dir=out_dir, formats=parse_formats(formats), lang=lang
    )
    if as_json:
        click.echo(json.dumps(written.as_dict(), indent=2, ensure_ascii=False))
        return
    for path in written.files.values():
        out.print(f"written: {path}")
    f = written.figures
    out.print(
        f"{f['number']} (version {f['version']}): {len(f['devices_in_scope'])} device(s) in "
        f"scope, {f['changes_in_window']} change(s) in the window, {f['out_of_scope']} out of "
        f"scope, {f['changes_outside_window']} outside the window, {f['tests']} test(s)"
    )
