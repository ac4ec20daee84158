"""The monthly summary's inputs: the calendar month and the rows gathered from the site.

``report/monthly_sources.py`` fills a :class:`MonthInput` from the database and the git baseline;
tests and benchmarks build one by hand. ``report/monthly.py`` turns it into the summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from prisme_drift.authorize.model import Ticket
from prisme_drift.errors import ConfigError

GOOD_STATUSES = ("ok", "unchanged", "changed")
TRANSITIONAL_EXPIRED = "transitional_expired"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --------------------------------------------------------------------------- the month


@dataclass(frozen=True)
class Month:
    """A calendar month in the site's timezone; ``start``/``end`` are UTC, end excluded."""

    year: int
    month: int
    timezone: str = "UTC"

    @property
    def label(self) -> str:
        """``2026-11``."""
        return f"{self.year:04d}-{self.month:02d}"

    def _local(self, year: int, month: int) -> datetime:
        return datetime(year, month, 1, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    @cached_property
    def start(self) -> datetime:
        return self._local(self.year, self.month)

    @cached_property
    def end(self) -> datetime:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return self._local(year, month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return (self.end.astimezone(ZoneInfo(self.timezone)) - timedelta(days=1)).date()

    def previous(self) -> Month:
        """The month before."""
        if self.month == 1:
            return Month(self.year - 1, 12, self.timezone)
        return Month(self.year, self.month - 1, self.timezone)

    def contains(self, when: datetime | None) -> bool:
        """Whether ``when`` falls in the month."""
        return when is not None and self.start <= when < self.end  # cached: called per row

    def weeks(self) -> list[tuple[int, datetime, datetime]]:
        """(ISO week number, start, end) of every week touching the month, clipped to it."""
        zone = ZoneInfo(self.timezone)
        day = self.first_day - timedelta(days=self.first_day.weekday())
        out = []
        while day <= self.last_day:
            start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
            end = start + timedelta(days=7)
            out.append((day.isocalendar().week, max(start, self.start), min(end, self.end)))
            day += timedelta(days=7)
        return out


def parse_month(text: str, timezone: str) -> Month:
    """``2026-11`` -> Month; ConfigError naming ``--month`` otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigError(f"--month {text!r}: write the month as YYYY-MM, e.g. 2026-11")
    return Month(int(match.group(1)), int(match.group(2)), timezone)


def month_of(when: datetime, timezone: str) -> Month:
    """The calendar month ``when`` falls in, in the site's timezone."""
    local = when.astimezone(ZoneInfo(timezone))
    return Month(local.year, local.month, timezone)


def default_month(now: datetime, timezone: str) -> Month:
    """The previous calendar month in the site's timezone."""
    local = now.astimezone(ZoneInfo(timezone))
    return Month(local.year, local.month, timezone).previous()


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ItemRow:
    """A drift item as the database holds it (lines already redacted by the pipeline)."""

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
    opened_at: datetime
    closed_at: datetime | None = None
    close_reason: str | None = None
    accepted_by: str | None = None
    accept_reason: str | None = None

    @property
    def is_change(self) -> bool:
        """A change seen on a device (an expired transitional step is a follow-up, not one)."""
        return self.reason != TRANSITIONAL_EXPIRED

    @property
    def authorized_at_once(self) -> bool:
        """Covered by an approved ticket when first seen (closed by the poll that saw it)."""
        return self.verdict == "authorized" and self.closed_at == self.opened_at

    def open_at(self, when: datetime) -> bool:
        """Opened before ``when`` and not closed by then."""
        return self.opened_at < when and (self.closed_at is None or self.closed_at >= when)

    def hours_to_close(self) -> float | None:
        """From the poll that saw it to the one (or the person) that closed it."""
        if self.closed_at is None:
            return None
        return round((self.closed_at - self.opened_at).total_seconds() / 3600, 1)


@dataclass(frozen=True)
class DevicePollRow:
    """One device's result in one poll, or ``count`` results of one device with the same
    status, the last of them at ``at`` (how the month before is read: its figures and an
    outage running into the month need no more)."""

    device: str
    at: datetime
    status: str
    count: int = 1


@dataclass(frozen=True)
class DeviceRow:
    """A device the database knows, with its first poll ever and its removal, if any."""

    name: str
    first_poll_at: datetime | None = None
    removed_at: datetime | None = None


@dataclass(frozen=True)
class EventRow:
    """An event recorded for IT (host key changed, device removed, ...)."""

    kind: str
    device: str | None
    at: datetime


@dataclass(frozen=True)
class Identity:
    """A device's identity facts from the observed baseline."""

    serial: str = ""
    model: str = ""
    os_version: str = ""


@dataclass(frozen=True)
class MonthInput:
    """Everything the monthly summary is built from (the month and the one before it)."""

    site: str
    client: str
    month: Month
    generated_at: datetime
    polls: tuple[datetime, ...]
    device_polls: tuple[DevicePollRow, ...]  # the month's one by one, the month before's summed
    devices: tuple[DeviceRow, ...]
    items: tuple[ItemRow, ...]
    tickets: tuple[Ticket, ...]
    events: tuple[EventRow, ...] = ()
    identity_before: Mapping[str, Identity] = field(default_factory=dict)
    identity_after: Mapping[str, Identity] = field(default_factory=dict)
    intervention_reports: Mapping[str, str] = field(default_factory=dict)
