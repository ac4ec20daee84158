"""``fleet report monthly``: one document per client across its sites, from the central
database, with the figures the sites' own stores give."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from prisme_drift.config import load_settings
from prisme_drift.fleet import schema
from prisme_drift.fleet.sync import sync_site
from prisme_drift.poll import run_poll
from prisme_drift.store.engine import make_engine, session_factory
from prisme_drift.store.models import DevicePoll, DriftItem, Poll, TicketRow
from tests.conftest import LabSite
from tests.fleet.conftest import Central
from tests.fleet.test_fleet_sync import VLAN_CHANGE, fleet_site, history, prisme

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

GOOD = ("ok", "unchanged", "changed")
TICKET_CHANGE = ["vlan 40", " name CFAO", "exit"]


def site_figures(site: LabSite, first: datetime, end: datetime) -> dict[str, Any]:
    """The month's figures counted from the site's own SQLite store (not the central copy)."""
    engine = make_engine(site.settings.database_url)
    try:
        with session_factory(engine)() as s:
            polls = [p for p in s.scalars(select(Poll)) if first <= _utc(p.started_at) < end]
            dps = [d for d in s.scalars(select(DevicePoll)) if first <= _utc(d.at) < end]
            items = list(s.scalars(select(DriftItem)))
            tickets = list(s.scalars(select(TicketRow).where(TicketRow.status == "approved")))
    finally:
        engine.dispose()
    changes = Counter(
        "authorized" if i.verdict == "authorized" and i.closed_at == i.opened_at else "unauthorized"
        for i in items
        if first <= _utc(i.opened_at) < end
    )
    good = sum(1 for d in dps if d.status in GOOD)
    return {
        "devices": len({d.device_id for d in dps}),
        "polls": len(polls),
        "device_polls": len(dps),
        "good_polls": good,
        "success_ratio": good / len(dps),
        "changes": {"authorized": changes["authorized"], "unauthorized": changes["unauthorized"]},
        "open_unauthorized": sum(
            1 for i in items if i.verdict == "unauthorized" and i.closed_at is None
        ),
        "transitional_expired": 0,
        "tickets_executed": len(tickets),
        "gap_days": 0,  # every site was polled today, its first day
    }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def approved_ticket(site: LabSite, ticket_id: str) -> None:
    """A ticket in the site's store, approved, its window around now (as IT does by hand)."""
    now = datetime.now(UTC)
    window = ["--start", (now - timedelta(hours=1)).isoformat(timespec="seconds"),
              "--end", (now + timedelta(hours=1)).isoformat(timespec="seconds")]  # fmt: skip
    config = ["-c", str(site.config_file), "ticket"]
    added = prisme(*config, "add", ticket_id, "--title", "VLAN CFAO", "--device", "sw01",
                   "--category", "vlan", "--rollback", "no vlan 40", *window)  # fmt: skip
    assert added.returncode == 0, added.stderr
    approved = prisme(*config, "approve", ticket_id, "--by", "Dr Dupont", "--ref", "mail 1/12")
    assert approved.returncode == 0, approved.stderr


def pdf_text(path: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def with_client(site: LabSite, client: str) -> None:
    text = site.config_file.read_text().replace('client = "Cabinet Test"', f'client = "{client}"')
    assert text != site.config_file.read_text()
    site.config_file.write_text(text)
    site.settings = load_settings(site.config_file)


def test_one_document_per_client_with_the_sites_own_figures(
    lab_site: Callable[..., LabSite], central: Central, tmp_path: Path
) -> None:
    a = fleet_site(lab_site, central, "clinic-m1", ["sw01", "sw02"])
    b = fleet_site(lab_site, central, "clinic-m2", ["sw01"])
    c = fleet_site(lab_site, central, "clinic-m3", ["sw01"])
    with_client(b, "Clinique Voisine")
    history(a)  # an unauthorized change, accepted
    run_poll(b.settings)
    b.device("sw01").configure(VLAN_CHANGE)
    assert run_poll(b.settings).exit_code == 3  # left open
    run_poll(c.settings)
    approved_ticket(c, "CHG-9")
    c.device("sw01").configure(TICKET_CHANGE)
    assert run_poll(c.settings).exit_code == 0  # authorized by its ticket
    for site in (a, b, c):
        sync_site(site.settings)
    now = datetime.now(UTC)
    first = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = (first + timedelta(days=32)).replace(day=1)
    month = f"{now.year:04d}-{now.month:02d}"

    done = prisme("fleet", "report", "monthly", "--url", central.url, "--month", month,
                  "--out", str(tmp_path / "out"), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    documents = {d["client"]: d for d in result["clients"]}
    assert set(documents) == {"Cabinet Test", "Clinique Voisine"}
    shown = {s["site"]: s for d in result["clients"] for s in d["sites"]}
    assert [s["site"] for s in documents["Cabinet Test"]["sites"]] == ["clinic-m1", "clinic-m3"]
    for site in (a, b, c):
        figures = dict(shown[site.settings.site.name])
        del figures["site"], figures["client"]
        assert figures == site_figures(site, first, end), site.settings.site.name
    assert shown["clinic-m1"]["changes"] == {"authorized": 0, "unauthorized": 1}
    assert shown["clinic-m2"]["open_unauthorized"] == 1
    assert shown["clinic-m3"]["tickets_executed"] == 1 and shown["clinic-m3"]["devices"] == 1
    assert shown["clinic-m3"]["changes"] == {"authorized": 1, "unauthorized": 0}
    assert result["overview"]["by_unauthorized"][-1] == "clinic-m3"

    mine = pdf_text(documents["Cabinet Test"]["pdf"])
    assert "Cabinet Test" in mine and "clinic-m1" in mine and "clinic-m3" in mine
    assert "clinic-m2" not in mine and "Clinique Voisine" not in mine
    theirs = pdf_text(documents["Clinique Voisine"]["pdf"])
    assert "Clinique Voisine" in theirs and "clinic-m2" in theirs
    assert "clinic-m1" not in theirs and "clinic-m3" not in theirs
    assert "Modifications non autorisées" in theirs  # French by default
    html = Path(documents["Clinique Voisine"]["html"]).read_text()
    assert "clinic-m1" not in html and "Cabinet Test" not in html
    overview = pdf_text(result["overview"]["pdf"])
    assert all(name in overview for name in ("clinic-m1", "clinic-m2", "clinic-m3"))

    one = prisme("fleet", "report", "monthly", "--url", central.url, "--month", month,
                 "--client", "Clinique Voisine", "--lang", "en", "--format", "pdf",
                 "--out", str(tmp_path / "one"), "--json")  # fmt: skip
    assert one.returncode == 0, one.stderr
    only = json.loads(one.stdout)
    assert [d["client"] for d in only["clients"]] == ["Clinique Voisine"]
    assert only["overview"]["by_gaps"] == ["clinic-m2"]
    assert "html" not in only["clients"][0]
    assert "Unauthorized changes" in pdf_text(only["clients"][0]["pdf"])
    assert "clinic-m1" not in pdf_text(only["overview"]["pdf"])


def test_a_month_or_client_without_data_is_refused_and_writes_nothing(
    central: Central, tmp_path: Path
) -> None:
    with central.engine.begin() as connection:
        connection.execute(schema.sites.insert().values(site="clinic-x", client="Cabinet X"))
    out = tmp_path / "out"
    empty = prisme("fleet", "report", "monthly", "--url", central.url, "--month", "2020-01",
                   "--out", str(out))  # fmt: skip
    assert empty.returncode == 5, empty.stderr
    assert "no poll of any client in 2020-01" in empty.stderr
    unknown = prisme("fleet", "report", "monthly", "--url", central.url, "--month", "2020-01",
                     "--client", "Nobody", "--out", str(out))  # fmt: skip
    assert unknown.returncode == 5 and "no site of client 'Nobody'" in unknown.stderr
    assert "Cabinet X" in unknown.stderr  # the clients it knows
    assert not out.exists()


def test_a_past_month_counts_gaps_and_what_was_open_at_its_end(
    central: Central, tmp_path: Path
) -> None:
    """A generated month (as benchmarks/fleet.py does): a site silent or failing some days, an
    unauthorized change accepted only the next month, an expired transitional step, a ticket."""
    rows = []
    for day in range(1, 31):  # November 2026, 30 days
        failed = day in (3, 4, 5) or day > 28  # five days with only failed polls
        if day in (10, 11):
            continue  # no poll at all these two days
        rows.append(_day("clinic-g1", 1, date(2026, 11, day), ok=0 if failed else 4))
        rows.append(_day("clinic-g2", 1, date(2026, 11, day), ok=4))
    with central.engine.begin() as connection:
        connection.execute(
            schema.sites.insert(),
            [
                {"site": "clinic-g1", "client": "Cabinet G"},
                {"site": "clinic-g2", "client": "Cabinet G"},
            ],
        )
        connection.execute(schema.device_days.insert(), rows)
        connection.execute(schema.drift_items.insert(), _items("clinic-g1"))
        connection.execute(schema.tickets.insert(), [_ticket("clinic-g1", "CHG-1", 20)])
        connection.execute(schema.tickets.insert(), [_ticket("clinic-g1", "CHG-2", 40)])
    done = prisme("fleet", "report", "monthly", "--url", central.url, "--month", "2026-11",
                  "--client", "Cabinet G", "--format", "html", "--out", str(tmp_path),
                  "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    sites = {s["site"]: s for s in result["clients"][0]["sites"]}
    assert sites["clinic-g1"]["gap_days"] == 3 + 2 + 2
    assert sites["clinic-g2"]["gap_days"] == 2
    assert sites["clinic-g1"]["device_polls"] == 28 * 4
    assert sites["clinic-g1"]["good_polls"] == 23 * 4
    assert result["overview"]["by_gaps"] == ["clinic-g1", "clinic-g2"]
    assert sites["clinic-g1"]["changes"] == {"authorized": 1, "unauthorized": 1}
    assert sites["clinic-g1"]["open_unauthorized"] == 1  # accepted in December only
    assert sites["clinic-g1"]["transitional_expired"] == 1
    assert sites["clinic-g1"]["tickets_executed"] == 1  # CHG-2's window is in December
    assert sites["clinic-g2"]["changes"] == {"authorized": 0, "unauthorized": 0}
    assert result["overview"]["by_unauthorized"] == ["clinic-g1", "clinic-g2"]


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def _items(site: str) -> list[dict[str, Any]]:
    base = {"site": site, "device_id": 1, "fingerprint": "f", "category": "vlan", "path": [],
            "removed": [], "added": ["vlan 40"], "reason": None, "closed_at": None}  # fmt: skip
    return [
        {**base, "id": 1, "verdict": "accepted", "opened_at": _at(11, 5),
         "last_seen_at": _at(12, 2), "closed_at": _at(12, 2)},
        {**base, "id": 2, "verdict": "authorized", "opened_at": _at(11, 6),
         "last_seen_at": _at(11, 6), "closed_at": _at(11, 6)},
        {**base, "id": 3, "verdict": "unauthorized", "reason": "transitional_expired",
         "opened_at": _at(11, 20), "last_seen_at": _at(12, 1)},
        {**base, "id": 4, "verdict": "unauthorized", "opened_at": _at(10, 2),
         "last_seen_at": _at(10, 3), "closed_at": _at(10, 3)},
    ]  # fmt: skip


def _ticket(site: str, ticket_id: str, day: int) -> dict[str, Any]:
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=day)
    data = {"id": ticket_id, "title": "VLAN", "devices": ["sw01"], "categories": ["vlan"],
            "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
            "rollback": "no vlan 40", "status": "approved",
            "approval": {"by": "Dr G", "at": (start - timedelta(days=1)).isoformat(),
                         "ref": "mail"}}  # fmt: skip
    return {"site": site, "id": ticket_id, "status": "approved", "data": data,
            "created_at": start, "updated_at": start}  # fmt: skip


def _day(site: str, device: int, day: date, ok: int) -> dict[str, Any]:
    polls = 4
    return {
        "site": site, "device_id": device, "day": day, "polls": polls, "ok": 0,
        "unchanged": ok, "changed": 0, "failed": polls - ok, "quarantined": 0,
        "duration_s": 1.0, "last_status": "unchanged" if ok else "failed",
        "last_at": datetime(day.year, day.month, day.day, 23, tzinfo=UTC),
    }  # fmt: skip
