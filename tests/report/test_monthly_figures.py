"""Every figure and every section row of a month made by the real pipeline (lab, injected clock).

The story is in tests/report/monthly_history.py; each expected value below is derived from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from prisme_drift.report.monthly import FIGURES, MonthlyView, build_monthly, figures_json
from prisme_drift.report.monthly_input import default_month, parse_month
from prisme_drift.report.monthly_sources import month_input
from prisme_drift.report.notes import interventions_folder
from tests.report.monthly_history import (
    MONTH,
    NEW_MODEL,
    NEW_SERIAL,
    NOVEMBER_POLLS,
    OCTOBER_POLLS,
    History,
    at,
)

pytestmark = pytest.mark.lab
GENERATED = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(monthly_history: History) -> History:
    """The month of history (tests/report/conftest.py builds it once per session)."""
    return monthly_history


@pytest.fixture(scope="module")
def view(history: History) -> MonthlyView:
    settings = history.site.settings
    month = parse_month(MONTH, settings.site.timezone)
    return build_monthly(month_input(settings, month, GENERATED))


def test_every_figure_of_the_month(view: MonthlyView) -> None:
    assert view.figures == {
        "changes": 5,  # VLAN 40 (T1), sw02 label (D1), VLAN 50, printer label, sw02 swap
        "authorized": 2,  # CHG-T1 and CHG-D1, inside their windows
        "unauthorized": 3,  # VLAN 50, printer label, swap
        "accepted_after_the_fact": 1,  # printer label, the 13th
        "reverted": 2,  # October's description (the 2nd) and VLAN 50 (the 8th)
        "open_at_end": 1,  # the swap
        "transitional_open": 0,
        "transitional_expired": 1,  # CHG-T1, expired the 20th, VLAN 40 still there
        "tickets_executed": 2,
        "devices": 2,
        "polls": NOVEMBER_POLLS,
        "poll_success_ratio": round((2 * NOVEMBER_POLLS - 3) / (2 * NOVEMBER_POLLS), 4),
        "median_hours_to_close": 48.0,  # 192 h, 48 h, 24 h
    }
    assert list(view.figures) == list(FIGURES)


def test_the_previous_month_for_comparison(view: MonthlyView) -> None:
    assert view.previous == {
        "changes": 1,
        "authorized": 0,
        "unauthorized": 1,
        "accepted_after_the_fact": 0,
        "reverted": 0,
        "open_at_end": 1,
        "transitional_open": 0,
        "transitional_expired": 0,
        "tickets_executed": 0,
        "devices": 2,
        "polls": OCTOBER_POLLS,
        "poll_success_ratio": 1.0,
        "median_hours_to_close": None,
    }
    assert figures_json(view)["previous"]["polls"] == OCTOBER_POLLS


def test_unauthorized_rows_with_their_status_at_month_end(
    view: MonthlyView, history: History
) -> None:
    rows = [
        (r.item.device, r.item.category, r.status, r.hours_to_close, r.carried_over)
        for r in view.unauthorized
    ]
    assert rows == [
        ("sw01", "interface", "reverted", 192.0, True),
        ("sw02", "vlan", "reverted", 48.0, False),
        ("sw01", "interface", "accepted", 24.0, False),
        ("sw02", "device", "open", None, False),
    ]
    accepted = view.unauthorized[2].item
    assert accepted.id == history.accepted_item
    assert (accepted.accepted_by, accepted.accept_reason) == (
        "J. Martin",
        "CHG-2026-131 signé le 13/11",
    )
    assert view.unauthorized[1].summary == "+ vlan 50 (+1)"
    assert view.unauthorized[0].item.appeared_after == at(20, 10)


def test_interventions_inside_and_outside_their_scope(view: MonthlyView) -> None:
    rows = {r.ticket.id: r for r in view.interventions}
    assert list(rows) == ["CHG-T1", "CHG-D1"]
    assert [(i.device, i.category) for i in rows["CHG-T1"].inside] == [("sw01", "vlan")]
    assert [(i.device, i.category) for i in rows["CHG-D1"].inside] == [("sw02", "interface")]
    # VLAN 50 appeared on sw02 between the poll of the 5th (inside D1's window) and the 6th
    assert [(i.device, i.category) for i in rows["CHG-D1"].outside] == [("sw02", "vlan")]
    assert rows["CHG-T1"].outside == ()


def test_an_intervention_names_the_report_written_for_its_ticket(history: History) -> None:
    """``report intervention`` writes ``<output>/interventions/<site>-<ticket>.pdf``: the
    summary's Interventions section names that file for its ticket, and only for it."""
    settings = history.site.settings
    folder = interventions_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "test-site-CHG-T1.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    try:
        data = month_input(settings, parse_month(MONTH, settings.site.timezone), GENERATED)
    finally:
        pdf.unlink()
    assert data.intervention_reports == {"CHG-T1": "test-site-CHG-T1.pdf"}
    rows = {r.ticket.id: r.report for r in build_monthly(data).interventions}
    assert rows == {"CHG-T1": "test-site-CHG-T1.pdf", "CHG-D1": None}


def test_transitional_steps_and_open_points(view: MonthlyView, history: History) -> None:
    (step,) = view.transitional
    assert (step.ticket.id, step.state, step.devices) == ("CHG-T1", "expired", ("sw01",))
    assert [(p.kind, p.device, p.reference) for p in view.open_points] == [
        ("unauthorized", "sw02", str(history.swap_item)),
        ("transitional_expired", "sw01", "CHG-T1"),
    ]


def test_monitoring_availability_per_device(view: MonthlyView) -> None:
    sw01, sw02 = view.availability
    assert (sw01.device, sw01.ok, sw01.failed, sw01.longest_unreachable_h) == ("sw01", 12, 0, None)
    assert (sw02.device, sw02.ok, sw02.failed, sw02.quarantined) == ("sw02", 9, 3, 0)
    assert sw02.longest_unreachable_h == 168.0  # the 10th 06:00 to the 17th 06:00
    assert sw02.swapped is not None and sw02.swapped.endswith(f"{NEW_SERIAL} ({NEW_MODEL})")
    assert sw01.swapped is None and not (sw02.added or sw02.removed)


def test_weekly_and_category_charts_data(view: MonthlyView) -> None:
    weeks = {w.week: (w.authorized, w.accepted, w.unauthorized) for w in view.weeks}
    assert weeks == {
        44: (0, 0, 0),
        45: (2, 0, 1),
        46: (0, 1, 0),
        47: (0, 0, 0),
        48: (0, 0, 1),
        49: (0, 0, 0),
    }
    assert view.by_category == (("interface", 2), ("vlan", 2), ("device", 1))


def test_same_month_twice_gives_the_same_view(history: History, view: MonthlyView) -> None:
    settings = history.site.settings
    again = build_monthly(month_input(settings, parse_month(MONTH, "Indian/Reunion"), GENERATED))
    assert again == view


def test_months_are_local_and_default_to_the_previous_one(tmp_path: Path) -> None:
    month = parse_month("2026-11", "Indian/Reunion")
    assert month.start == datetime(2026, 10, 31, 20, 0, tzinfo=UTC)
    assert month.end == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert default_month(datetime(2026, 12, 1, 1, 0, tzinfo=UTC), "Indian/Reunion") == month
    assert default_month(datetime(2026, 1, 10, tzinfo=UTC), "UTC").label == "2025-12"


@pytest.mark.parametrize("text", ["2026-13", "11/2026", "2026-1", ""])
def test_a_bad_month_names_the_option_and_the_format(text: str) -> None:
    from prisme_drift.errors import ConfigError

    with pytest.raises(ConfigError, match=r"--month .*YYYY-MM"):
        parse_month(text, "UTC")
