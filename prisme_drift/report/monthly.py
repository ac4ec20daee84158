"""The monthly summary: every figure of the month (one definition each) and the whole view.

``build_monthly`` turns plain inputs (the month's polls, device polls, drift items, tickets,
events and each device's identity from the git baseline at both ends of the month) into a
frozen :class:`MonthlyView`. No database, git or SSH here: ``report/monthly_sources.py``
gathers the inputs, so tests and benchmarks can build a month without a store.

Every figure is computed by exactly one function of :data:`FIGURES`, whose docstring is the
definition; the document's glossary prints the catalog entry ``monthly.def.<figure>``, which
says the same in the reader's words (a test keeps the two lists equal).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from prisme_drift.models import Category
from prisme_drift.report.monthly_input import GOOD_STATUSES, ItemRow, Month, MonthInput
from prisme_drift.report.monthly_sections import (
    Availability,
    InterventionRow,
    OpenPoint,
    TransitionalStep,
    UnauthorizedRow,
    availability_rows,
    intervention_rows,
    month_tickets,
    open_points,
    open_unauthorized,
    transitional_steps,
    unauthorized_rows,
)

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
    good = sum(p.count for p in rows if p.status in GOOD_STATUSES)
    return round(good / sum(p.count for p in rows), 4)


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
