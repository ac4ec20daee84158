"""The monthly summary: its inputs, every figure of the month (one definition each), its sections.

``build_monthly`` turns plain inputs (the month's polls, device polls, drift items, tickets,
events and each device's identity from the git baseline at both ends of the month) into a
frozen :class:`MonthlyView`. No database, git or SSH here: ``report/monthly_sources.py``
gathers the inputs, so tests and benchmarks can build a month without a store.

Every figure is computed by exactly one function of :data:`FIGURES`, whose docstring is the
definition; the document's glossary prints the catalog entry ``monthly.def.<figure>``, which
says the same in the reader's words (a test keeps the two lists equal).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from prisme_drift.authorize.model import Ticket, TicketKind
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.errors import ConfigError
from prisme_drift.models import Category
from prisme_drift.scrub import scrub

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
    """One device's result in one poll."""

    device: str
    at: datetime
    status: str


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
    device_polls: tuple[DevicePollRow, ...]
    devices: tuple[DeviceRow, ...]
    items: tuple[ItemRow, ...]
    tickets: tuple[Ticket, ...]
    events: tuple[EventRow, ...] = ()
    identity_before: Mapping[str, Identity] = field(default_factory=dict)
    identity_after: Mapping[str, Identity] = field(default_factory=dict)
    intervention_reports: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- figures


def _changes(d: MonthInput, m: Month) -> list[ItemRow]:
    return [i for i in d.items if i.is_change and m.contains(i.opened_at)]


def _unauthorized(d: MonthInput, m: Month) -> list[ItemRow]:
    return [i for i in _changes(d, m) if not i.authorized_at_once]


def _closed_in(d: MonthInput, m: Month, reason: str | None = None) -> list[ItemRow]:
    return [
        i
        for i in d.items
        if i.is_change
        and not i.authorized_at_once
        and m.contains(i.closed_at)
        and (reason is None or i.close_reason == reason)
    ]


def changes(d: MonthInput, m: Month) -> int:
    """Drift items opened in the month: every difference a poll saw between approved and
    observed (expired transitional steps are counted apart)."""
    return len(_changes(d, m))


def authorized(d: MonthInput, m: Month) -> int:
    """Changes of the month that an approved ticket covered when the poll saw them."""
    return sum(1 for i in _changes(d, m) if i.authorized_at_once)


def unauthorized(d: MonthInput, m: Month) -> int:
    """Changes of the month that no approved ticket covered when the poll saw them (whatever
    happened to them afterwards)."""
    return len(_unauthorized(d, m))


def accepted_after_the_fact(d: MonthInput, m: Month) -> int:
    """Unauthorized changes accepted in writing during the month (``drift accept``)."""
    return len(_closed_in(d, m, "accepted"))


def reverted(d: MonthInput, m: Month) -> int:
    """Unauthorized changes undone on the device during the month."""
    return len(_closed_in(d, m, "reverted"))


def open_at_end(d: MonthInput, m: Month) -> int:
    """Unauthorized changes still in place at the end of the month."""
    return len(open_unauthorized(d, m.end))


def transitional_open(d: MonthInput, m: Month) -> int:
    """Transitional steps in place at the end of the month whose dated end is still ahead."""
    return sum(1 for s in transitional_steps(d, m) if s.state == "running")


def transitional_expired(d: MonthInput, m: Month) -> int:
    """Transitional steps still in place at the end of the month after their dated end."""
    return sum(1 for s in transitional_steps(d, m) if s.state == "expired")


def tickets_executed(d: MonthInput, m: Month) -> int:
    """Approved tickets whose window fell (even partly) in the month."""
    return len(month_tickets(d, m))


def devices(d: MonthInput, m: Month) -> int:
    """Devices polled at least once in the month."""
    return len({p.device for p in d.device_polls if m.contains(p.at)})


def polls(d: MonthInput, m: Month) -> int:
    """Poll cycles started in the month."""
    return sum(1 for at in d.polls if m.contains(at))


def poll_success_ratio(d: MonthInput, m: Month) -> float | None:
    """Device polls of the month that brought back a trusted configuration, over all device
    polls of the month (failed and quarantined ones count against it)."""
    rows = [p for p in d.device_polls if m.contains(p.at)]
    if not rows:
        return None
    return round(sum(1 for p in rows if p.status in GOOD_STATUSES) / len(rows), 4)


def median_hours_to_close(d: MonthInput, m: Month) -> float | None:
    """Median time, in hours, from the poll that saw an unauthorized change to its closing
    (reverted, accepted, covered by a ticket, replaced), over those closed in the month."""
    hours = [h for i in _closed_in(d, m) if (h := i.hours_to_close()) is not None]
    return round(statistics.median(hours), 1) if hours else None


Figure = Callable[[MonthInput, Month], int | float | None]
#: The figures of a month, in the order of ``--json`` and of the glossary.
FIGURES: dict[str, Figure] = {
    "changes": changes,
    "authorized": authorized,
    "unauthorized": unauthorized,
    "accepted_after_the_fact": accepted_after_the_fact,
    "reverted": reverted,
    "open_at_end": open_at_end,
    "transitional_open": transitional_open,
    "transitional_expired": transitional_expired,
    "tickets_executed": tickets_executed,
    "devices": devices,
    "polls": polls,
    "poll_success_ratio": poll_success_ratio,
    "median_hours_to_close": median_hours_to_close,
}
#: The KPIs "En bref" compares with the previous month.
KPIS = ("changes", "unauthorized", "open_at_end", "tickets_executed", "poll_success_ratio")


def figures_of(d: MonthInput, m: Month) -> dict[str, int | float | None]:
    """Every figure of month ``m``."""
    return {name: compute(d, m) for name, compute in FIGURES.items()}


# --------------------------------------------------------------------------- section rows


def open_unauthorized(d: MonthInput, when: datetime) -> list[ItemRow]:
    """Unauthorized changes open at ``when``, oldest first."""
    return [i for i in d.items if i.is_change and not i.authorized_at_once and i.open_at(when)]


def month_tickets(d: MonthInput, m: Month) -> list[Ticket]:
    """Authorizing tickets whose window meets the month, by start."""
    found = [t for t in d.tickets if authorizes(t) and t.start < m.end and t.end >= m.start]
    return sorted(found, key=lambda t: (t.start, t.id))


@dataclass(frozen=True)
class UnauthorizedRow:
    """Section 4: one unauthorized change and what became of it by the end of the month."""

    item: ItemRow
    summary: str
    status: str  # open | reverted | accepted | covered | superseded | device_removed | closed
    hours_to_close: float | None
    carried_over: bool  # opened before the month, still open when it began


def summarize(item: ItemRow) -> str:
    """A one-line account of the change: the first line added or removed, and how many more."""
    lines = [f"+ {a}" for a in item.added] + [f"- {r}" for r in item.removed]
    if not lines:
        return " > ".join(item.path)
    more = len(lines) - 1
    head = lines[0].strip()
    head = head if len(head) <= 70 else head[:69] + "…"
    return scrub(head + (f" (+{more})" if more else ""))


def _status(item: ItemRow, end: datetime) -> str:
    if item.closed_at is None or item.closed_at >= end:
        return "open"
    reason = item.close_reason or "closed"
    return "covered" if reason == "authorized" else reason


def unauthorized_rows(d: MonthInput, m: Month) -> list[UnauthorizedRow]:
    """Changes unauthorized when seen, opened in the month or still open when it began."""
    wanted = [
        i
        for i in d.items
        if i.is_change
        and not i.authorized_at_once
        and (m.contains(i.opened_at) or i.open_at(m.start))
    ]
    rows = []
    for item in sorted(wanted, key=lambda i: (i.opened_at, i.id)):
        closed_in_time = item.closed_at is not None and item.closed_at < m.end
        rows.append(
            UnauthorizedRow(
                item=item,
                summary=summarize(item),
                status=_status(item, m.end),
                hours_to_close=item.hours_to_close() if closed_in_time else None,
                carried_over=item.opened_at < m.start,
            )
        )
    return rows


@dataclass(frozen=True)
class InterventionRow:
    """Section 5: a ticket whose window fell in the month, and what the polls saw."""

    ticket: Ticket
    inside: tuple[ItemRow, ...]  # changes it authorized
    outside: tuple[ItemRow, ...]  # changes on its devices during its window that it did not cover
    report: str | None


def _in_window(item: ItemRow, ticket: Ticket) -> bool:
    return ticket.start <= item.opened_at and (
        item.appeared_after is None or item.appeared_after <= ticket.end
    )


def intervention_rows(d: MonthInput, m: Month) -> list[InterventionRow]:
    """Every ticket of the month with the changes inside and outside its scope."""
    rows = []
    for ticket in month_tickets(d, m):
        inside = tuple(i for i in d.items if i.is_change and i.ticket_id == ticket.id
                       and i.verdict == "authorized")  # fmt: skip
        outside = tuple(
            i
            for i in d.items
            if i.is_change
            and not i.authorized_at_once
            and (i.device in ticket.devices or ticket.whole_site)
            and _in_window(i, ticket)
        )
        rows.append(InterventionRow(ticket, inside, outside, d.intervention_reports.get(ticket.id)))
    return rows


@dataclass(frozen=True)
class TransitionalStep:
    """Section 6: a transitional ticket's changes and their state at the end of the month."""

    ticket: Ticket
    items: tuple[ItemRow, ...]  # its changes still in place at the end of the month
    state: str  # running | expired | removed | definitive

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(sorted({i.device for i in self.items})) or self.ticket.devices


def _undone_by(item: ItemRow, others: list[ItemRow], when: datetime) -> bool:
    return any(
        o.id != item.id
        and o.opened_at < when
        and o.opened_at >= item.opened_at
        and o.device == item.device
        and o.path == item.path
        and sorted(o.added) == sorted(item.removed)
        and sorted(o.removed) == sorted(item.added)
        for o in others
    )


def _made_definitive(ticket: Ticket, items: tuple[ItemRow, ...], d: MonthInput) -> bool:
    categories = {Category(i.category) for i in items}
    return any(
        t.kind == TicketKind.DEFINITIVE
        and authorizes(t)
        and t.covers_until() >= ticket.start
        and all(i.device in t.devices or t.whole_site for i in items)
        and categories <= set(t.categories)
        for t in d.tickets
    )


def transitional_steps(d: MonthInput, m: Month) -> list[TransitionalStep]:
    """Transitional tickets that had changes in place during the month, with their state."""
    steps = []
    for ticket in sorted(d.tickets, key=lambda t: (t.start, t.id)):
        if ticket.kind != TicketKind.TRANSITIONAL or not authorizes(ticket):
            continue
        mine = [i for i in d.items if i.ticket_id == ticket.id and i.verdict == "authorized"]
        made = [i for i in mine if i.opened_at < m.end]
        if not made or ticket.start >= m.end:
            continue
        in_place = tuple(i for i in made if not _undone_by(i, mine, m.end))
        first_made = min(i.opened_at for i in made)
        undone_before = not in_place and all(_undone_by(i, mine, m.start) for i in made)
        if undone_before and first_made < m.start:
            continue  # over before the month began
        steps.append(TransitionalStep(ticket, in_place, _step_state(ticket, in_place, d, m)))
    return steps


def _step_state(ticket: Ticket, in_place: tuple[ItemRow, ...], d: MonthInput, m: Month) -> str:
    if not in_place:
        return "removed"
    if ticket.expires_at is not None and ticket.expires_at <= m.end:
        return "definitive" if _made_definitive(ticket, in_place, d) else "expired"
    return "running"


@dataclass(frozen=True)
class Availability:
    """Section 7: one device's polls in the month."""

    device: str
    ok: int
    failed: int
    quarantined: int
    longest_unreachable_h: float | None
    hostkey_changes: int
    swapped: str | None  # "old serial (model) → new serial (model)"
    upgraded: str | None  # "old OS → new OS"
    added: bool
    removed: bool


def _longest_outage(rows: list[DevicePollRow], m: Month) -> float | None:
    """Longest time from a failed poll to the next good one (or the end of the month)."""
    longest: timedelta | None = None
    since: datetime | None = None
    for row in rows:
        if row.status == "failed":
            since = since or row.at
            continue
        if since is not None and row.status in GOOD_STATUSES:
            gap = min(row.at, m.end) - max(since, m.start)
            longest = gap if longest is None else max(longest, gap)
            since = None
    if since is not None:
        gap = m.end - max(since, m.start)
        longest = gap if longest is None else max(longest, gap)
    return None if longest is None else round(longest.total_seconds() / 3600, 1)


def _swap(before: Identity | None, after: Identity | None) -> tuple[str | None, str | None]:
    if before is None or after is None:
        return None, None
    swapped = upgraded = None
    if (before.serial, before.model) != (after.serial, after.model):
        swapped = f"{before.serial} ({before.model}) → {after.serial} ({after.model})"
    if before.os_version != after.os_version:
        upgraded = f"{before.os_version} → {after.os_version}"
    return swapped, upgraded


def availability_rows(d: MonthInput, m: Month) -> list[Availability]:
    """Every device polled in the month, added or removed in it."""
    by_device: dict[str, list[DevicePollRow]] = {}
    for row in sorted(d.device_polls, key=lambda r: r.at):
        by_device.setdefault(row.device, []).append(row)
    known = {r.name: r for r in d.devices}
    names = {n for n, rows in by_device.items() if any(m.contains(r.at) for r in rows)}
    names |= {r.name for r in d.devices if m.contains(r.removed_at)}
    out = []
    for name in sorted(names):
        rows = by_device.get(name, [])
        inside = [r for r in rows if m.contains(r.at)]
        device = known.get(name, DeviceRow(name))
        swapped, upgraded = _swap(d.identity_before.get(name), d.identity_after.get(name))
        out.append(
            Availability(
                device=name,
                ok=sum(1 for r in inside if r.status in GOOD_STATUSES),
                failed=sum(1 for r in inside if r.status == "failed"),
                quarantined=sum(1 for r in inside if r.status == "quarantined"),
                longest_unreachable_h=_longest_outage([r for r in rows if r.at < m.end], m),
                hostkey_changes=sum(
                    1
                    for e in d.events
                    if e.kind == "hostkey_changed" and e.device == name and m.contains(e.at)
                ),
                swapped=swapped,
                upgraded=upgraded,
                added=m.contains(device.first_poll_at),
                removed=m.contains(device.removed_at),
            )
        )
    return out


@dataclass(frozen=True)
class OpenPoint:
    """Section 8: something carried into next month, and who is expected to do what."""

    kind: str  # unauthorized | transitional_expired
    device: str
    subject: str
    since: datetime
    reference: str  # drift item id or ticket id


def open_points(d: MonthInput, m: Month, steps: list[TransitionalStep]) -> list[OpenPoint]:
    """Open unauthorized changes and expired transitional steps at the end of the month."""
    points = [
        OpenPoint("unauthorized", i.device, summarize(i), i.opened_at, str(i.id))
        for i in open_unauthorized(d, m.end)
    ]
    for step in steps:
        if step.state == "expired" and step.ticket.expires_at is not None:
            points.append(
                OpenPoint(
                    "transitional_expired",
                    ", ".join(step.devices),
                    step.ticket.title,
                    step.ticket.expires_at,
                    step.ticket.id,
                )
            )
    return points


# --------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class WeekCounts:
    """Changes of one week, by verdict as it stands at the end of the month."""

    week: int
    authorized: int
    accepted: int
    unauthorized: int


@dataclass(frozen=True)
class MonthlyView:
    """The monthly summary, ready for templates and ``--json``."""

    site: str
    client: str
    month: Month
    generated_at: datetime
    figures: dict[str, int | float | None]
    previous: dict[str, int | float | None]
    weeks: tuple[WeekCounts, ...]
    by_category: tuple[tuple[str, int], ...]
    unauthorized: tuple[UnauthorizedRow, ...]
    interventions: tuple[InterventionRow, ...]
    transitional: tuple[TransitionalStep, ...]
    availability: tuple[Availability, ...]
    open_points: tuple[OpenPoint, ...]

    @property
    def quiet(self) -> bool:
        """Nothing to tell beyond "all is well": no change, nothing open, nothing expired."""
        f = self.figures
        return not (f["changes"] or f["open_at_end"] or f["transitional_expired"])

    def as_figures(self) -> dict[str, Any]:
        """``figures`` of ``--json``: the month's figures and the previous month's."""
        return {**self.figures, "previous": dict(self.previous)}


def week_counts(d: MonthInput, m: Month) -> tuple[WeekCounts, ...]:
    """Changes per ISO week of the month, stacked by verdict."""
    out = []
    for number, start, end in m.weeks():
        rows = [i for i in _changes(d, m) if start <= i.opened_at < end]
        accepted = sum(1 for i in rows if i.verdict == "accepted")
        ok = sum(1 for i in rows if i.authorized_at_once)
        out.append(WeekCounts(number, ok, accepted, len(rows) - ok - accepted))
    return tuple(out)


def category_counts(d: MonthInput, m: Month) -> tuple[tuple[str, int], ...]:
    """Changes of the month per category, in the order of the policy's categories."""
    rows = _changes(d, m)
    return tuple(
        (str(c), n) for c in Category if (n := sum(1 for i in rows if i.category == str(c)))
    )


def build_monthly(d: MonthInput) -> MonthlyView:
    """The whole summary of ``d.month``."""
    m = d.month
    steps = transitional_steps(d, m)
    return MonthlyView(
        site=d.site,
        client=d.client,
        month=m,
        generated_at=d.generated_at,
        figures=figures_of(d, m),
        previous=figures_of(d, m.previous()),
        weeks=week_counts(d, m),
        by_category=category_counts(d, m),
        unauthorized=tuple(unauthorized_rows(d, m)),
        interventions=tuple(intervention_rows(d, m)),
        transitional=tuple(steps),
        availability=tuple(availability_rows(d, m)),
        open_points=tuple(open_points(d, m, steps)),
    )


def figures_json(view: MonthlyView) -> dict[str, Any]:
    """Plain JSON of the figures (for ``--json`` and the email)."""
    figures: dict[str, Any] = json_safe(view.as_figures())
    return figures


def json_safe(value: Any) -> Any:
    """Dataclasses and datetimes as plain JSON values."""
    if hasattr(value, "__dataclass_fields__"):
        return json_safe(asdict(value))
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
