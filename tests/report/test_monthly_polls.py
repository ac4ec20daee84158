"""Monitoring availability from device polls: the month's read one by one, the month before's
summed per device and status (what ``report/monthly_sources.py`` reads), with the same figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prisme_drift.report.monthly import build_monthly
from prisme_drift.report.monthly_input import DevicePollRow, DeviceRow, MonthInput, parse_month

MONTH = parse_month("2026-11", "UTC")
NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
OCTOBER = [datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=6 * n) for n in range(31 * 4)]
NOVEMBER = [datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=6 * n) for n in range(30 * 4)]


def _status(device: str, at: datetime) -> str:
    """sw01: down for a day in mid-October, back up; sw02: down from October 31st 18:00 until
    November 2nd 06:00; sw03: one quarantined poll a week."""
    if device == "sw01" and datetime(2026, 10, 10, tzinfo=UTC) <= at < datetime(
        2026, 10, 11, tzinfo=UTC
    ):
        return "failed"
    if device == "sw02" and datetime(2026, 10, 31, 18, tzinfo=UTC) <= at < datetime(
        2026, 11, 2, 6, tzinfo=UTC
    ):
        return "failed"
    if device == "sw03" and at.weekday() == 2 and at.hour == 12:
        return "quarantined"
    return "unchanged"


def _detailed(times: list[datetime]) -> list[DevicePollRow]:
    return [DevicePollRow(d, at, _status(d, at)) for at in times for d in ("sw01", "sw02", "sw03")]


def _summed(rows: list[DevicePollRow]) -> list[DevicePollRow]:
    """One row per device and status: how many, and the last one's time."""
    groups: dict[tuple[str, str], list[DevicePollRow]] = {}
    for row in rows:
        groups.setdefault((row.device, row.status), []).append(row)
    found = [
        DevicePollRow(device, max(r.at for r in group), status, len(group))
        for (device, status), group in groups.items()
    ]
    return sorted(found, key=lambda r: (r.at, r.device))


def _input(october: list[DevicePollRow]) -> MonthInput:
    return MonthInput(
        site="s",
        client="c",
        month=MONTH,
        generated_at=NOW,
        polls=tuple(OCTOBER + NOVEMBER),
        device_polls=tuple(october + _detailed(NOVEMBER)),
        devices=tuple(DeviceRow(d, OCTOBER[0]) for d in ("sw01", "sw02", "sw03")),
        items=(),
        tickets=(),
    )


def test_the_month_before_summed_gives_the_same_summary() -> None:
    detailed = build_monthly(_input(_detailed(OCTOBER)))
    summed = build_monthly(_input(_summed(_detailed(OCTOBER))))
    assert len(_summed(_detailed(OCTOBER))) == 6  # unchanged ×3, 2 failed, 1 quarantined
    assert summed == detailed
    # failed: sw01 4 and sw02 1 in October, sw02 5 in November; quarantined: 4 each month
    assert summed.previous["poll_success_ratio"] == round((3 * 124 - 9) / (3 * 124), 4)
    assert summed.figures["poll_success_ratio"] == round((3 * 120 - 9) / (3 * 120), 4)


def test_an_outage_over_before_the_month_is_not_the_month_s() -> None:
    """sw01's October outage ended in October: no outage in November (it showed -504 h)."""
    view = build_monthly(_input(_detailed(OCTOBER)))
    by_device = {a.device: a for a in view.availability}
    assert by_device["sw01"].longest_unreachable_h is None
    assert (by_device["sw01"].ok, by_device["sw01"].failed) == (120, 0)
    # sw02 went down on October 31st: November counts from its first hour to the 2nd 06:00
    assert by_device["sw02"].longest_unreachable_h == 30.0
    assert (by_device["sw02"].ok, by_device["sw02"].failed) == (115, 5)
    assert (by_device["sw03"].ok, by_device["sw03"].quarantined) == (116, 4)
