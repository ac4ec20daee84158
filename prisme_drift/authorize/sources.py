"""Ticket sources behind one interface: the local database (CLI), YAML files, GLPI.

Every source returns validated ``Ticket`` values. A source that cannot be read does not stop a
poll: its problems are reported, and its tickets count as absent, so changes they would have
covered show as unauthorized (never the other way round).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from prisme_drift.authorize.model import Ticket, TicketStatus
from prisme_drift.errors import ConfigError
from prisme_drift.yamlio import load_yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A ticket that says it is approved but fails the approval checks: it authorizes nothing.

    ``digest`` identifies the ticket's content, so a refusal is alerted once per version of it.
    """

    ticket: Ticket
    where: str  # the file, the GLPI change or the database row it came from
    reasons: tuple[str, ...]
    digest: str

    def line(self) -> str:
        """One line for ``run`` and ``ticket list``."""
        return (
            f"{self.where}: ticket {self.ticket.id} refused, it authorizes nothing: "
            + "; ".join(self.reasons)
        )


@dataclass
class Loaded:
    """Tickets from a source, and the problems met on the way (file, key, what to fix).

    ``origins`` names where each ticket came from (ticket id -> file or URL); ``refused`` holds
    the tickets the approval checks refused (never in ``tickets``).
    """

    tickets: list[Ticket] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)


class TicketSource(Protocol):
    """Anything that yields tickets: the CLI's database, a folder of YAML files, an ITSM."""

    name: str

    def load(self) -> Loaded:
        """Every ticket the source knows, with the problems met."""


def _errors(where: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(ticket)"
        out.append(f"{where}: [{key}] {err['msg']}")
    return out


def parse_ticket(data: Any, where: str, source: str) -> Ticket:
    """A Ticket from plain data; ConfigError naming ``where`` and every bad key otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a ticket is a mapping of keys (id, title, devices, ...)")
    try:
        ticket = Ticket.model_validate({"source": source, **data})
    except ValidationError as exc:
        problems = _errors(where, exc)
        raise ConfigError(f"{where}: invalid ticket", problems=problems) from exc
    if ticket.status == TicketStatus.APPROVED and ticket.approval is None:
        raise ConfigError(f"{where}: an approved ticket needs 'approval' (by, at, ref)")
    return ticket


def load_ticket_file(path: Path, source: str = "yaml") -> list[Ticket]:
    """Tickets of one YAML file (one mapping, or a list of them); ConfigError on any problem."""
    data = load_yaml(path, what="ticket file", quote=True)  # tickets hold no secret
    items = data if isinstance(data, list) else [data]
    tickets = [
        parse_ticket(item, f"{path} (ticket {n + 1})" if len(items) > 1 else str(path), source)
        for n, item in enumerate(items)
    ]
    seen: set[str] = set()
    for ticket in tickets:
        if ticket.id in seen:
            raise ConfigError(f"{path}: ticket {ticket.id} is defined twice")
        seen.add(ticket.id)
    return tickets


@dataclass
class YamlFolderSource:
    """Tickets as code: every ``*.yaml``/``*.yml`` file of a folder, read at every poll."""

    folder: Path
    name: str = "yaml"

    def load(self) -> Loaded:
        loaded = Loaded()
        if not self.folder.is_dir():
            return loaded
        files = sorted([*self.folder.glob("*.yaml"), *self.folder.glob("*.yml")])
        for path in files:
            try:
                tickets = load_ticket_file(path, self.name)
            except ConfigError as exc:
                loaded.problems.append(str(exc))
                log.error("ticket file ignored: %s", exc)
                continue
            loaded.tickets.extend(tickets)
            loaded.origins.update({t.id: str(path) for t in tickets})
        return loaded


def merge(loads: list[Loaded]) -> Loaded:
    """All sources together; an id defined by two sources is a problem and both are dropped."""
    merged = Loaded()
    by_id: dict[str, list[Ticket]] = {}
    for loaded in loads:
        merged.problems.extend(loaded.problems)
        merged.refused.extend(loaded.refused)
        for ticket in loaded.tickets:
            by_id.setdefault(ticket.id, []).append(ticket)
    for ticket_id, tickets in sorted(by_id.items()):
        if len(tickets) > 1:
            sources = ", ".join(t.source for t in tickets)
            merged.problems.append(
                f"ticket {ticket_id} is defined by several sources ({sources}); "
                "both ignored until one is removed"
            )
            continue
        merged.tickets.append(tickets[0])
    kept = {t.id for t in merged.tickets}
    merged.origins = {
        ticket_id: origin
        for loaded in loads
        for ticket_id, origin in loaded.origins.items()
        if ticket_id in kept
    }
    return merged
