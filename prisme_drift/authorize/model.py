"""Change tickets as immutable values, whatever their source (CLI, YAML files, GLPI)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from prisme_drift.models import Category, DeviceRef
from prisme_drift.timefmt import local_time


class TicketStatus(StrEnum):
    """Life of a ticket; only ``approved`` authorizes anything."""

    DRAFT = "draft"
    APPROVED = "approved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TicketKind(StrEnum):
    """Policy rule 2: no "temporary that lasts": definitive, or transitional with an expiry."""

    DEFINITIVE = "definitive"
    TRANSITIONAL = "transitional"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a date-time needs a timezone (e.g. 2026-12-01T08:00+04:00)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approval(_Frozen):
    """Who approved, when, and the reference of the written approval."""

    by: str = Field(min_length=1)
    at: AwareDatetime
    ref: str = Field(min_length=1)


class Ticket(_Frozen):
    """A change ticket: scope, categories, window, approval, rollback plan, kind, mandate."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")
    title: str = Field(min_length=1)
    requested_by: str = ""
    devices: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    whole_site: bool = False
    categories: tuple[Category, ...] = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    rollback: str = ""
    kind: TicketKind = TicketKind.DEFINITIVE
    expires_at: AwareDatetime | None = None
    mandate: str | None = None
    status: TicketStatus = TicketStatus.DRAFT
    approval: Approval | None = None
    closed_at: AwareDatetime | None = None  # when it was closed: it covers nothing after
    source: str = "cli"

    @model_validator(mode="after")
    def _coherent(self) -> Ticket:
        if not (self.devices or self.groups or self.whole_site):
            raise ValueError("a ticket needs a scope: --device, --group or the whole site")
        if self.end <= self.start:
            # each time in the zone it was given in (the CLI gives the site's)
            raise ValueError(
                f"the window ends ({local_time(self.end, None)}) before it starts "
                f"({local_time(self.start, None)})"
            )
        if self.expires_at is not None and self.kind != TicketKind.TRANSITIONAL:
            raise ValueError("only a transitional ticket has an expiry date")
        if self.status == TicketStatus.CLOSED and self.closed_at is None:
            raise ValueError(
                "a closed ticket needs 'closed_at' (when it was closed, with an offset): it "
                "covers only what happened before"
            )
        if self.closed_at is not None and self.status != TicketStatus.CLOSED:
            raise ValueError("only a closed ticket has 'closed_at'")
        return self

    def covers_until(self) -> datetime:
        """The end of what the ticket can cover: its window's end, or its closing if earlier."""
        if self.closed_at is not None and self.closed_at < self.end:
            return self.closed_at
        return self.end

    def approval_problems(self, restricted: dict[str, str]) -> list[str]:
        """Why this ticket may not be approved; ``restricted`` maps device -> manufacturer."""
        problems = []
        if not self.rollback.strip():
            problems.append("no rollback plan (--rollback TEXT): policy rule 2 requires one")
        if self.kind == TicketKind.TRANSITIONAL and self.expires_at is None:
            problems.append("a transitional change needs an expiry date (--transitional-until)")
        if self.expires_at is not None and self.expires_at <= self.end:
            problems.append("the transitional expiry must come after the end of the window")
        if restricted and not self.mandate:
            names = ", ".join(f"{d} ({m})" for d, m in sorted(restricted.items()))
            problems.append(
                f"the scope includes restricted devices without a written mandate "
                f"(--mandate REF): {names}"
            )
        return problems

    def covers_device(self, device: DeviceRef) -> bool:
        """Whether the device is in the ticket's scope."""
        return (
            self.whole_site
            or device.name in self.devices
            or bool(set(self.groups) & set(device.groups))
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return self.model_dump(mode="json")


class Verdict(_Frozen):
    """The verdict on one hunk: authorized (with the ticket) or unauthorized (with a reason)."""

    verdict: str  # authorized | unauthorized
    reason: str | None = None
    ticket_id: str | None = None

    @property
    def authorized(self) -> bool:
        return self.verdict == "authorized"
