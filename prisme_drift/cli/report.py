"""Report commands: documents for the client (``report audit``; the monthly summary next)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from prisme_drift.cli.app import Context, cli, out, pass_ctx
from prisme_drift.timefmt import iso

if TYPE_CHECKING:
    from prisme_drift.report.monthly_service import Sent

F = TypeVar("F", bound=Callable[..., Any])


@cli.group()
def report() -> None:
    """Write client documents (PDF and HTML): the site audit."""


def document_options(
    out_default: str = "[report] output, 'reports/' in the site folder",
    json_shape: str = "{site, pdf, html, figures}",
) -> Callable[[F], F]:
    """The options every document command shares: --out, --format, --lang, --json."""

    def decorate(command: F) -> F:
        for option in reversed(
            (
                click.option(
                    "--out",
                    "out_dir",
                    type=click.Path(file_okay=False, path_type=Path),
                    help=f"Folder to write into (default: {out_default}).",
                ),
                click.option(
                    "--format",
                    "formats",
                    default="pdf,html",
                    show_default=True,
                    help="pdf, html or both.",
                ),
                click.option(
                    "--lang",
                    type=click.Choice(["fr", "en"]),
                    help="Language (default: [report] language).",
                ),
                click.option(
                    "--json", "as_json", is_flag=True, help=f"Print {json_shape} as JSON."
                ),
            )
        ):
            command = option(command)
        return command

    return decorate


@report.command()
@document_options()
@pass_ctx
def audit(
    ctx: Context, out_dir: Path | None, formats: str, lang: str | None, as_json: bool
) -> None:
    """The site audit ("état des lieux") from the latest good state of every device."""
    from prisme_drift.report.render import parse_formats
    from prisme_drift.report.service import write_audit

    settings = ctx.settings()
    written = write_audit(settings, out_dir=out_dir, formats=parse_formats(formats), lang=lang)
    if as_json:
        click.echo(json.dumps(written.as_dict(), indent=2, ensure_ascii=False))
        return
    for path in written.files.values():
        out.print(f"written: {path}")
    severities = written.figures["findings_by_severity"]
    out.print(
        f"{written.figures['devices']} devices, {written.figures['vlans']} VLANs, "
        f"{written.figures['findings']} findings ("
        + ", ".join(f"{n} {s}" for s, n in severities.items())
        + ")"
    )


def sent_dict(sent: Sent) -> dict[str, Any]:
    """``--json``'s ``sent`` of a document emailed through the outbox: message and state."""
    return {
        "outbox": sent.message_id,
        "queued_now": sent.new,
        "status": sent.status,
        "sent_at": iso(sent.sent_at),
        "to": list(sent.to),
        "cc": list(sent.cc),
        "error": sent.error,
    }
