"""Change tickets end to end over SSH: what a ticket authorizes, and every reason it does not."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from prisme_drift.drift.items import list_items
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

VLAN_40 = ["vlan 40", " name CFAO", "exit"]
PORT_TO_40 = ["interface GigabitEthernet1/0/3", " switchport access vlan 40", "exit"]
DESCRIPTION = ["interface GigabitEthernet1/0/3", " description Poste CFAO", "exit"]


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def write_ticket(site: LabSite, ticket_id: str, **fields: object) -> None:
    now = datetime.now(UTC)
    data: dict[str, object] = {
        "id": ticket_id,
        "title": "Ajout VLAN CFAO",
        "devices": ["sw01"],
        "categories": ["vlan"],
        "start": iso(now - timedelta(hours=1)),
        "end": iso(now + timedelta(hours=1)),
        "rollback": "no vlan 40",
        "status": "approved",
        "approval": {"by": "Dr Dupont", "at": iso(now - timedelta(days=1)), "ref": "mail 25/11"},
    }
    data.update(fields)
    folder = site.folder / "tickets"
    folder.mkdir(exist_ok=True)
    (folder / f"{ticket_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args)


def approved_log(site: LabSite) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(site.settings.baseline_path), "log", "--format=%B", "approved"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_inside_window_and_scope_is_authorized_and_approved_moves(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    write_ticket(site, "CHG-1")
    site.device("sw01").configure(VLAN_40 + PORT_TO_40)
    report = run_poll(site.settings, deliver=False)
    assert report.drift == () and report.exit_code == 0
    items = list_items(site.settings, include_closed=True)
    assert {(i.verdict, i.close_reason) for i in items} == {("authorized", "authorized")}
    assert "Ticket: CHG-1" in approved_log(site)
    again = run_poll(site.settings, deliver=False)  # approved == observed now
    assert again.drift == () and again.opened == ()


def test_after_the_window_is_outside_window(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    past = datetime.now(UTC) - timedelta(hours=3)
    write_ticket(site, "CHG-2", start=iso(past), end=iso(past + timedelta(hours=1)))
    site.device("sw01").configure(VLAN_40)
    report = run_poll(site.settings, deliver=False)
    [item] = report.drift
    assert (item.verdict, item.reason) == ("unauthorized", "outside_window")
    assert report.exit_code == 3


def test_description_under_vlan_ticket_is_category_not_in_scope_and_mixed_poll(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    write_ticket(site, "CHG-3")
    site.device("sw01").configure(VLAN_40 + DESCRIPTION)
    report = run_poll(site.settings, deliver=False)
    [open_item] = report.drift
    assert (open_item.category, open_item.reason) == ("interface", "category_not_in_scope")
    closed = [i for i in list_items(site.settings, include_closed=True) if i.closed_at]
    assert [(i.category, i.verdict) for i in closed] == [("vlan", "authorized")]
    # approved moved by the VLAN hunk only: the description is still drift, the VLAN is not
    assert "Ticket: CHG-3" in approved_log(site)
    again = run_poll(site.settings, deliver=False)
    assert [(i.id, i.category) for i in again.drift] == [(open_item.id, "interface")]


def test_restricted_device_needs_a_mandate(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    hosts_file = site.folder / "inventory" / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["sw01"]["data"]["restricted"] = {"manufacturer": "Dentsply Sirona"}
    hosts_file.write_text(yaml.safe_dump(hosts))
    run_poll(site.settings, deliver=False)
    now = datetime.now(UTC)
    added = cli(
        site,
        "ticket",
        "add",
        "CHG-4",
        "--title",
        "IP orthophos",
        "--device",
        "sw01",
        "--category",
        "vlan",
        "--start",
        iso(now - timedelta(hours=1)),
        "--end",
        iso(now + timedelta(hours=1)),
        "--rollback",
        "no vlan 40",
    )
    assert added.returncode == 0, added.stderr
    refused = cli(site, "ticket", "approve", "CHG-4", "--by", "Dr Dupont", "--ref", "mail")
    assert refused.returncode == 5
    assert "Dentsply Sirona" in refused.stderr and "mandate" in refused.stderr
    site.device("sw01").configure(VLAN_40)
    report = run_poll(site.settings, deliver=False)
    [item] = report.drift
    assert item.reason == "mandate_missing"


def test_expired_transitional_change_opens_its_own_item(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    now = datetime.now(UTC)
    write_ticket(
        site,
        "CHG-5",
        kind="transitional",
        end=iso(now + timedelta(seconds=3)),
        expires_at=iso(now + timedelta(seconds=4)),
    )
    site.device("sw01").configure(VLAN_40)
    inside = run_poll(site.settings, deliver=False)
    assert inside.drift == ()
    time.sleep(max(0.0, (now + timedelta(seconds=5) - datetime.now(UTC)).total_seconds()))
    expired = run_poll(site.settings, deliver=False)
    [item] = expired.drift
    assert (item.reason, item.category) == ("transitional_expired", "vlan")
    assert expired.exit_code == 3
    site.device("sw01").configure(["no vlan 40"])
    removed = run_poll(site.settings, deliver=False)
    assert removed.drift == ()
    assert item.id in removed.closed


def test_audit_trail_verifies_and_detects_an_edited_row(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    write_ticket(site, "CHG-6")
    site.device("sw01").configure(VLAN_40 + DESCRIPTION)
    run_poll(site.settings, deliver=False)
    ok = cli(site, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    entries = json.loads(cli(site, "audit", "list", "--json").stdout)
    assert {e["action"] for e in entries} >= {
        "verdict.authorized",
        "verdict.unauthorized",
        "baseline.approve",
    }
    import sqlite3

    db = Path(site.settings.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    tampered = cli(site, "audit", "verify")
    assert tampered.returncode == 7
    assert "entry 1" in tampered.stderr


def _add_and_approve(site: LabSite, ticket_id: str, *extra: str) -> None:
    now = datetime.now(UTC)
    added = cli(
        site,
        "ticket",
        "add",
        ticket_id,
        "--title",
        "VLAN CFAO",
        "--device",
        "sw01",
        "--category",
        "vlan",
        "--start",
        iso(now - timedelta(hours=1)),
        "--end",
        iso(now + timedelta(hours=1)),
        "--rollback",
        "no vlan 40",
        *extra,
    )
    assert added.returncode == 0, added.stderr
    approved = cli(site, "ticket", "approve", ticket_id, "--by", "Dr Dupont", "--ref", "mail")
    assert approved.returncode == 0, approved.stderr


def test_change_after_ticket_close_inside_its_window_is_ticket_closed(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    _add_and_approve(site, "CHG-7")
    site.device("sw01").configure(VLAN_40)
    before = run_poll(site.settings, deliver=False)  # made before the close: authorized
    assert before.drift == ()
    closed = cli(site, "ticket", "close", "CHG-7")
    assert closed.returncode == 0, closed.stderr
    shown = json.loads(cli(site, "ticket", "show", "CHG-7", "--json").stdout)
    assert shown["status"] == "closed" and shown["closed_at"]
    site.device("sw01").configure(PORT_TO_40)  # still inside the window, after the close
    after = run_poll(site.settings, deliver=False)
    [item] = after.drift
    assert (item.verdict, item.reason) == ("unauthorized", "ticket_closed")
    assert after.exit_code == 3
    listed = cli(site, "drift", "list")
    assert "ticket_closed" in listed.stdout


def test_closed_transitional_ticket_does_not_authorize_a_later_change(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    until = iso(datetime.now(UTC) + timedelta(hours=2))
    _add_and_approve(site, "CHG-8", "--transitional-until", until)
    assert cli(site, "ticket", "close", "CHG-8").returncode == 0
    site.device("sw01").configure(VLAN_40)
    report = run_poll(site.settings, deliver=False)
    [item] = report.drift  # not a transitional change of CHG-8: nothing waits for its expiry
    assert (item.verdict, item.reason) == ("unauthorized", "ticket_closed")
    items = list_items(site.settings, include_closed=True)
    assert [i.verdict for i in items] == ["unauthorized"]
