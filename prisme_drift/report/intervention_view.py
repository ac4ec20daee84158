"""The intervention report's view model: the rows templates render and ``--json`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prisme_drift.authorize.model import Ticket, TicketKind
from prisme_drift.devicestate import StateChange
from prisme_drift.report.intervention_input import (
    AttachmentInput,
    ChangeInput,
    InterventionInput,
    NoteInput,
    PollPoint,
    TestInput,
)


@dataclass(frozen=True)
class ParamTable:
    """One state section of one device: its columns and rows (raw values; templates format)."""

    section: str
    fields: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    hidden: int = 0  # unchanged items left out


@dataclass(frozen=True)
class SideView:
    """A device at one edge: identity, the poll, the parameters the change touches."""

    device: str
    poll: PollPoint | None
    vendor: str
    model: str
    serial: str
    os_version: str
    address: str
    params: tuple[ParamTable, ...]


@dataclass(frozen=True)
class ChangeRow:
    """A change seen around the window, with where it stands against the ticket."""

    change: ChangeInput
    in_window: bool
    device_in_scope: bool
    category_in_scope: bool
    facts: tuple[StateChange, ...]  # what the change means as values (same device, category)

    @property
    def out_of_scope(self) -> bool:
        """On a device or of a category the ticket does not cover."""
        return not (self.device_in_scope and self.category_in_scope)

    @property
    def stands_out(self) -> bool:
        """Out of scope, outside the window, or not authorized."""
        return self.out_of_scope or not self.in_window or self.change.verdict != "authorized"


@dataclass(frozen=True)
class DiffRow:
    """One value that differs between Avant and Après."""

    device: str
    change: StateChange
    identity: bool  # serial, model or OS version: another box or another software


@dataclass(frozen=True)
class CheckRow:
    """The system's own checks of one device after the window (None: cannot tell)."""

    device: str
    polled_ok: bool
    no_quarantine: bool
    neighbors_kept: bool | None
    lost_neighbors: tuple[str, ...]


@dataclass(frozen=True)
class RollbackRow:
    """Whether a device's configuration went back to Avant."""

    device: str
    status: str  # returned | kept | no_change | unknown


@dataclass(frozen=True)
class InterventionView:
    """The intervention report, ready for templates and JSON."""

    data: InterventionInput
    scope_devices: tuple[str, ...]
    before: tuple[SideView, ...]
    after: tuple[SideView, ...]
    changes: tuple[ChangeRow, ...]
    differences: tuple[DiffRow, ...]
    checks: tuple[CheckRow, ...]
    rollback: tuple[RollbackRow, ...]

    @property
    def ticket(self) -> Ticket:
        return self.data.ticket

    @property
    def number(self) -> str:
        """The CR number: the site and the ticket, and the version from the second one on."""
        base = f"CR-{self.data.site}-{self.ticket.id}"
        return base if self.data.version == 1 else f"{base}-v{self.data.version}"

    @property
    def technicians(self) -> tuple[str, ...]:
        """Every technician named in the notes, in order."""
        return tuple(dict.fromkeys(n.technician for n in self.data.notes if n.technician))

    @property
    def tests(self) -> tuple[TestInput, ...]:
        return tuple(t for n in self.data.notes for t in n.tests)

    @property
    def attachments(self) -> tuple[AttachmentInput, ...]:
        return tuple(a for n in self.data.notes for a in n.attachments)

    @property
    def remarks(self) -> tuple[NoteInput, ...]:
        return tuple(n for n in self.data.notes if n.remark)

    @property
    def in_window(self) -> tuple[ChangeRow, ...]:
        return tuple(c for c in self.changes if c.in_window)

    @property
    def outside_window(self) -> tuple[ChangeRow, ...]:
        return tuple(c for c in self.changes if not c.in_window)

    @property
    def transitional_pending(self) -> bool:
        """A transitional change whose dated end is still ahead."""
        t = self.ticket
        return (
            t.kind == TicketKind.TRANSITIONAL
            and t.expires_at is not None
            and t.expires_at > self.data.generated_at
        )

    def figures(self) -> dict[str, Any]:
        """The report's numbers, as ``--json`` prints them."""
        return {
            "ticket": self.ticket.id,
            "number": self.number,
            "version": self.data.version,
            "devices_in_scope": list(self.scope_devices),
            "changes_in_window": len(self.in_window),
            "changes_outside_window": len(self.outside_window),
            "out_of_scope": sum(c.out_of_scope for c in self.changes),
            "unauthorized": sum(c.change.verdict != "authorized" for c in self.changes),
            "identity_changes": [
                {"device": d.device, "fact": d.change.path, "before": d.change.before,
                 "after": d.change.after}
                for d in self.differences
                if d.identity
            ],
            "differences": len(self.differences),
            "checks_failed": sum(
                not (c.polled_ok and c.no_quarantine and c.neighbors_kept is not False)
                for c in self.checks
            ),
            "tests": len(self.tests),
            "tests_ko": sum(not t.ok for t in self.tests),
            "attachments": len(self.attachments),
            "rollback": {r.device: r.status for r in self.rollback},
        }  # fmt: skip
