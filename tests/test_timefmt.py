"""One time convention: the site's zone with its offset, to the second; ISO 8601 for machines."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from prisme_drift.authorize import DeviceRef, judge
from prisme_drift.authorize.model import Approval, Ticket, TicketStatus
from prisme_drift.cli.site import init
from prisme_drift.config import SiteSettings
from prisme_drift.models import Category
from prisme_drift.timefmt import DEFAULT_TIMEZONE, iso, local_time, parse_time
from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parents[1]
MOMENT = datetime(2026, 12, 1, 5, 14, 3, 987654, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Indian/Reunion", "2026-12-01 09:14:03 +04:00"),
        ("UTC", "2026-12-01 05:14:03 +00:00"),
        ("America/Sao_Paulo", "2026-12-01 02:14:03 -03:00"),
        ("Asia/Kolkata", "2026-12-01 10:44:03 +05:30"),
        ("Europe/Paris", "2026-12-01 06:14:03 +01:00"),
    ],
)
def test_people_read_the_site_zone_with_offset_to_the_second(zone: str, shown: str) -> None:
    assert local_time(MOMENT, zone) == shown
    assert local_time(MOMENT.isoformat(), zone) == shown  # JSON strings too (status, jobs.json)


def test_missing_naive_and_unreadable_values() -> None:
    assert local_time(None, "UTC") == "" and local_time(None, "UTC", empty="never") == "never"
    assert local_time(MOMENT.replace(tzinfo=None), "Indian/Reunion") == "2026-12-01 09:14:03 +04:00"
    assert local_time("soon", "UTC") == "soon"  # shown as it is, never hidden
    assert local_time(parse_time("2026-07-01T10:00", "Europe/Paris"), None) == (
        "2026-07-01 10:00:00 +02:00"  # None: in the value's own zone (summer time here)
    )


def test_machines_keep_iso_8601_with_offset() -> None:
    assert iso(MOMENT) == "2026-12-01T05:14:03.987654+00:00"
    assert iso(MOMENT.replace(tzinfo=None), timespec="seconds") == "2026-12-01T05:14:03+00:00"
    assert iso(None) is None


def test_typed_times_take_an_offset_a_zone_name_or_the_site_zone() -> None:
    reunion = "Indian/Reunion"
    assert parse_time("2026-12-01T08:00Z", reunion).isoformat() == "2026-12-01T12:00:00+04:00"
    paris = parse_time("2026-12-01T09:30[Europe/Paris]", reunion)
    assert paris.isoformat() == "2026-12-01T12:30:00+04:00"
    assert parse_time("2026-12-01T08:00", reunion).isoformat() == "2026-12-01T08:00:00+04:00"
    with pytest.raises(ValueError, match="both an offset and a zone"):
        parse_time("2026-12-01T08:00+01:00[Europe/Paris]", reunion)
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        parse_time("2026-12-01T08:00[Mars/Olympus]", reunion)


def _ticket(start: datetime, end: datetime) -> Ticket:
    return Ticket(
        id="CHG-2Z",
        title="two zones",
        devices=("sw01",),
        categories=(Category.VLAN,),
        start=start,
        end=end,
        rollback="no vlan 40",
        status=TicketStatus.APPROVED,
        approval=Approval(by="Dr Dupont", at=start - timedelta(days=1), ref="mail"),
    )


def test_a_window_in_two_zones_is_compared_as_instants() -> None:
    """Start in UTC, end in Paris: 08:00Z → 09:30 Paris is 08:00Z → 08:30Z. Read as wall-clock
    numbers the window would last 90 minutes and wrongly cover a change at 08:45Z."""
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    window = _ticket(start, parse_time("2026-12-01T09:30[Europe/Paris]", "UTC"))
    sw01 = DeviceRef(name="sw01")
    inside = judge(
        Category.VLAN, sw01, start + timedelta(minutes=5), start + timedelta(minutes=15), [window]
    )
    late = judge(
        Category.VLAN, sw01, start + timedelta(minutes=40), start + timedelta(minutes=45), [window]
    )
    assert inside.authorized and not late.authorized
    with pytest.raises(
        ValueError,
        match=r"ends \(2026-12-01 08:00:00 \+00:00\) before it starts \(2026-12-01 08:30",
    ):
        _ticket(start + timedelta(minutes=30), parse_time("2026-12-01T09:00[Europe/Paris]", "UTC"))


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(config), *args)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "cab"
    made = run_cli("init", str(folder))
    assert made.returncode == 0, made.stderr
    hosts = {"sw01": {"hostname": "192.0.2.1", "platform": "ios"}}
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    return folder / "prisme-drift.toml"


def test_ticket_window_in_two_zones_through_the_cli(site: Path) -> None:
    start, end = "2026-12-01T08:00Z", "2026-12-01T09:30[Europe/Paris]"
    add = ("ticket", "add", "CHG-2Z", "--title", "two zones", "--device", "sw01")
    added = _cli(site, *add, "--category", "vlan", "--start", start, "--end", end)
    assert added.returncode == 0, added.stderr
    window = "2026-12-01 12:00:00 +04:00 → 2026-12-01 12:30:00 +04:00"
    assert window in added.stdout
    listed = _cli(site, "ticket", "list")
    assert window in listed.stdout  # the table, in the site zone (Réunion)
    assert window in _cli(site, "ticket", "show", "CHG-2Z").stdout
    data = json.loads(_cli(site, "ticket", "show", "CHG-2Z", "--json").stdout)
    assert datetime.fromisoformat(data["end"]) == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    backwards = _cli(
        site, "ticket", "add", "CHG-3Z", "--title", "t", "--device", "sw01", "--category", "vlan",
        "--start", "2026-12-01T08:30Z", "--end", "2026-12-01T09:00[Europe/Paris]",
    )  # fmt: skip
    assert backwards.returncode == 2
    assert "ends (2026-12-01 12:00:00 +04:00) before it starts (2026-12-01 12:30:00 +04:00)" in (
        backwards.stderr
    )


def test_cli_tables_have_no_microseconds_and_follow_the_settings(site: Path) -> None:
    text = site.read_text().replace('timezone = "Indian/Reunion"', 'timezone = "America/Sao_Paulo"')
    site.write_text(text)
    add = ("ticket", "add", "CHG-SP", "--title", "t", "--device", "sw01", "--category", "vlan")
    added = _cli(site, *add, "--start", "2026-12-01T08:00:00.250Z", "--end", "2026-12-01T09:00Z")
    assert added.returncode == 0, added.stderr
    listed = _cli(site, "ticket", "list").stdout
    assert "2026-12-01 05:00:00 -03:00 → 2026-12-01 06:00:00 -03:00" in listed
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", listed)


def test_one_default_timezone_for_init_the_schema_and_the_docs() -> None:
    init_default = next(p.default for p in init.params if p.name == "timezone")
    assert init_default == SiteSettings.model_fields["timezone"].default == DEFAULT_TIMEZONE
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    row = re.search(r"^\| `timezone` \| `\"([^\"]+)\"` \|", doc, re.M)
    assert row and row.group(1) == DEFAULT_TIMEZONE == "Indian/Reunion"
