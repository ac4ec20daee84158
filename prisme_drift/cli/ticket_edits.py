"""What ``ticket`` commands do beyond parsing options: open the registry (with the audit trail),
read times, build and edit tickets, read the inventory's device references.

Imported when a ticket command runs, not at start-up (``cli/ticket.py`` stays light).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from prisme_drift.authorize.model import Ticket, TicketKind, TicketStatus
from prisme_drift.authorize.registry import AuditLog, TicketRegistry
from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.inventory import build_nornir, device_refs
from prisme_drift.models import Category, DeviceRef
from prisme_drift.statedir import ensure_state
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.timefmt import parse_time


@contextmanager
def open_registry(settings: Settings) -> Iterator[tuple[TicketRegistry, AuditLog]]:
    """The site's ticket registry and audit trail, in one transaction committed on success."""
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


def draft_ticket(ticket_id: str, tz: str, options: dict[str, Any]) -> Ticket:
    """The draft ``ticket add`` creates from its options; ConfigError listing every problem."""
    try:
        return Ticket(
            id=ticket_id,
            title=options["title"],
            requested_by=options["requested_by"],
            devices=options["devices"],
            groups=options["groups"],
            whole_site=options["whole_site"],
            categories=tuple(Category(c) for c in options["categories"]),
            start=parse_when(options["start"], tz, "--start"),
            end=parse_when(options["end"], tz, "--end"),
            rollback=options["rollback"],
            kind=TicketKind.TRANSITIONAL if options["until"] else TicketKind.DEFINITIVE,
            expires_at=(
                parse_when(options["until"], tz, "--transitional-until")
                if options["until"]
                else None
            ),
            mandate=options["mandate"],
            status=TicketStatus.DRAFT,
            source="cli",
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'ticket'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"ticket {ticket_id} not created", problems=problems) from exc


def edits(options: dict[str, Any], tz: str) -> dict[str, Any]:
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


def inventory_refs(settings: Settings) -> dict[str, DeviceRef]:
    """What the approval checks need of each inventory device."""
    return device_refs(build_nornir(settings))
