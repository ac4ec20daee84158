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


@dataclass
class Loaded:
    """Tickets from a source, and the problems met on the way (file, key, what to fix)."""

    tickets: list[Ticket] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


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
                loaded.tickets.extend(load_ticket_file(path, self.name))
            except ConfigError as exc:
                loaded.problems.append(str(exc))
                log.error("ticket file ignored: %s", exc)
        return loaded


def merge(loads: list[Loaded]) -> Loaded:
    """All sources together; an id defined by two sources is a problem and both are dropped."""
    merged = Loaded()
    by_id: dict[str, list[Ticket]] = {}
    for loaded in loads:
        merged.problems.extend(loaded.problems)
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
    return merged
