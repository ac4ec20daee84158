"""The intervention report's inputs: the ticket's devices at both edges of the window, the drift
items seen around it and the technicians' notes.

``report/intervention_sources.py`` fills an :class:`InterventionInput` from the site; tests build
one by hand. ``report/intervention.py`` turns it into the view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prisme_drift.authorize.model import Ticket
from prisme_drift.devicestate import DeviceState

#: Changes on the ticket's devices this close to the window, but outside it, are shown apart.
OUTSIDE_MARGIN = timedelta(hours=24)
GOOD = ("ok", "unchanged", "changed")


@dataclass(frozen=True)
class PollPoint:
    """A poll of one device: when, its status, the baseline commit that holds what it saw."""

    poll_id: int
    at: datetime
    status: str
    trigger: str = "manual"
    commit: str | None = None


@dataclass(frozen=True)
class DeviceSide:
    """One device at one edge of the window (Avant or Après)."""

    poll: PollPoint | None
    state: DeviceState | None = None
    config: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)

    def fact(self, name: str) -> str:
        """A fact from the structured state, else from the poll's facts file ('' unknown)."""
        value = getattr(self.state.facts, name) if self.state else None
        return str(value if value is not None else self.facts.get(name) or "")


@dataclass(frozen=True)
class ChangeInput:
    """A drift item seen on the site around the window."""

    id: int
    device: str
    category: str
    path: tuple[str, ...]
    removed: tuple[str, ...]
    added: tuple[str, ...]
    verdict: str
    reason: str | None
    ticket_id: str | None
    appeared_after: datetime | None
    seen_at: datetime
    close_reason: str | None = None


@dataclass(frozen=True)
class TestInput:
    """One test the technician ran: what, what was expected, what was observed, ok or not."""

    what: str
    expected: str
    observed: str
    ok: bool


@dataclass(frozen=True)
class AttachmentInput:
    """A file the technician attached (stored beside the report)."""

    name: str
    path: str  # relative to the report folder
    size: int
    sha256: str
    image: bool
    thumbnail: str | None = None  # data URI of a small image


@dataclass(frozen=True)
class NoteInput:
    """One ``ticket note``: what a person added to the ticket's record."""

    at: datetime
    by: str
    technician: str = ""
    remark: str = ""
    tests: tuple[TestInput, ...] = ()
    attachments: tuple[AttachmentInput, ...] = ()


@dataclass(frozen=True)
class InterventionInput:
    """Everything the intervention report is built from."""

    site: str
    client: str
    generated_at: datetime
    ticket: Ticket
    devices: tuple[str, ...]  # in scope
    addresses: Mapping[str, str] = field(default_factory=dict)
    before: Mapping[str, DeviceSide] = field(default_factory=dict)
    after: Mapping[str, DeviceSide] = field(default_factory=dict)
    changes: tuple[ChangeInput, ...] = ()
    bad_polls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # device -> statuses
    notes: tuple[NoteInput, ...] = ()
    version: int = 1
    previous: tuple[datetime, ...] = ()  # when earlier versions were written
    link: str | None = None  # the ticket in its ITSM (GLPI)
