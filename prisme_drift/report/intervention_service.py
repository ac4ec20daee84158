"""``prisme-drift report intervention``: gather, build, render and record one ticket's report.

Each generation is recorded in the audit trail (``report.intervention``, with the files'
SHA-256); the next one is a new version of the report, numbered and dated on its first page.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from prisme_drift.config import Settings
from prisme_drift.report.i18n import gettext_for
from prisme_drift.report.intervention import build_intervention
from prisme_drift.report.intervention_ack import Acknowledgment, ack_figures, acknowledgments
from prisme_drift.report.intervention_input import InterventionInput
from prisme_drift.report.intervention_sources import REPORT_ACTION, intervention_input
from prisme_drift.report.intervention_view import InterventionView
from prisme_drift.report.notes import interventions_folder, report_stem
from prisme_drift.report.render import FORMATS, RenderOptions, options_from, write_document
from prisme_drift.report.service import Written

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InterventionWritten(Written):
    """An intervention report written, with what its email needs: title and language."""

    title: str = ""
    lang: str = "fr"


def intervention_context(
    view: InterventionView,
    options: RenderOptions,
    attachments: Path,
    acks: tuple[Acknowledgment, ...] = (),
) -> dict[str, Any]:
    """Template context: the view, its figures, the running title, links to the attachments,
    the recorded acknowledgments (signature block)."""
    hrefs = {
        a.path: os.path.relpath(attachments / a.path, options.out_dir) for a in view.attachments
    }
    title = gettext_for(
        options.lang, "inter.running_title", ticket=view.ticket.id, site=view.data.site
    )
    return {
        "view": view,
        "figures": view.figures(),
        "running_title": title,
        "hrefs": hrefs,
        "acks": acks,
    }


def render_intervention(
    data: InterventionInput,
    options: RenderOptions,
    attachments: Path,
    acks: tuple[Acknowledgment, ...] = (),
) -> tuple[InterventionView, dict[str, Path]]:
    """Build and write the report of prepared inputs (no store access: tests)."""
    view = build_intervention(data)
    stem = report_stem(data.site, data.ticket.id)
    context = intervention_context(view, options, attachments, acks)
    return view, write_document(stem, "intervention.html", context, options)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_generation(
    settings: Settings, view: InterventionView, files: dict[str, Path], actor: str
) -> None:
    """One audit entry per generation: the version and each file's SHA-256."""
    from prisme_drift.authorize.registry import AuditLog
    from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

    engine = shared_engine(settings.database_url)
    ensure_schema(engine)
    with session_factory(engine).begin() as session:
        audit = AuditLog(session, settings.site.name, settings.state_path)
        audit.append(
            actor,
            REPORT_ACTION,
            view.ticket.id,
            {
                "version": view.data.version,
                "number": view.number,
                "files": {fmt: {"path": str(p), "sha256": _digest(p)} for fmt, p in files.items()},
            },
        )
    audit.committed()


def write_intervention(
    settings: Settings,
    ticket_id: str,
    *,
    out_dir: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
    lang: str | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> InterventionWritten:
    """The intervention report of a ticket as PDF and/or HTML, recorded as a new version."""
    from prisme_drift.authorize.registry import default_actor

    folder = interventions_folder(settings)
    options = options_from(settings, lang=lang, formats=formats, out_dir=out_dir or folder)
    data = intervention_input(settings, ticket_id, folder, now)
    acks = read_acknowledgments(settings, data.ticket.id)
    view, files = render_intervention(data, options, folder, acks)
    record_generation(settings, view, files, actor or default_actor())
    log.info("[%s] intervention report %s written", settings.site.name, view.number)
    figures = {**view.figures(), "acknowledgments": ack_figures(acks)}
    return InterventionWritten(settings.site.name, files, figures, view.ticket.title, options.lang)


def read_acknowledgments(settings: Settings, ticket_id: str) -> tuple[Acknowledgment, ...]:
    """The acknowledgments recorded for the ticket's report (``ticket ack``)."""
    from prisme_drift.store.engine import session_factory, shared_engine

    engine = shared_engine(settings.database_url)
    with session_factory(engine)() as session:
        return acknowledgments(session, settings.site.name, ticket_id)
