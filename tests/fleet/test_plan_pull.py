"""The site pulls the change plans approved online at its ``fleet sync``, through its own role:
approved ones become its approved tickets once, a changed one authorizes nothing, a withdrawn
one cancels its ticket. The site's store is real SQLite, the central database real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

from prisme_drift.authorize.model import Ticket, TicketStatus
from prisme_drift.authorize.registry import AuditLog, TicketRegistry, set_status
from prisme_drift.authorize.service import load_tickets
from prisme_drift.config import Settings, load_settings
from prisme_drift.daemon.jobs import write_turn
from prisme_drift.fleet import planflow, schema
from prisme_drift.fleet.sync import sync_site
from prisme_drift.inventory import build_nornir, device_refs
from prisme_drift.models import Category
from prisme_drift.site import init_site
from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import AuditEntry, Event
from prisme_drift.timefmt import parse_iso
from tests.fleet.conftest import Central
from tests.fleet.plan_helpers import TECH, approved_plan, seed_site

pytestmark = pytest.mark.postgres

CLIENT = "Cabinet Martin"


def make_site(folder: Path, central: Central, name: str) -> Settings:
    """A site folder (sw01, and sw02 in a manufacturer's perimeter) syncing as its own role."""
    init_site(folder, site=name, client=CLIENT)
    hosts = {
        "sw01": {"hostname": "192.0.2.10", "platform": "ios"},
        "sw02": {
            "hostname": "192.0.2.11",
            "platform": "ios",
            "data": {"restricted": {"manufacturer": "Dentsply Sirona"}},
        },
    }
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    role = central.site_role(name)
    settings_file = folder / "prisme-drift.toml"
    settings_file.write_text(settings_file.read_text() + role.fleet_section(folder))
    seed_site(central.engine, name, CLIENT, ["sw01", "sw02"])
    return load_settings(settings_file)


def site_tickets(settings: Settings) -> dict[str, Ticket]:
    with session_factory(shared_engine(settings.database_url))() as session:
        return {t.id: t for t in TicketRegistry(session, settings.site.name).all()}


def count(settings: Settings, model: type[AuditEntry | Event]) -> int:
    with session_factory(shared_engine(settings.database_url))() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_approved_plan_becomes_the_sites_approved_ticket_once(
    tmp_path: Path, central: Central
) -> None:
    site = make_site(tmp_path / "a", central, "pull-a")
    other = make_site(tmp_path / "b", central, "pull-b")
    plan = approved_plan(central.engine, "pull-a", CLIENT)
    with central.engine.begin() as connection:  # a draft is never pulled
        planflow.draft(connection, "pull-a", {**plan.plan, "id": "WEB-9"}, TECH)
    first = sync_site(site)
    assert first.plans is not None and first.plans.pulled == 1
    assert "change plans: 1 pulled, 0 cancelled, 0 refused" in first.line()
    [ticket] = site_tickets(site).values()
    assert ticket.id == plan.ticket_id and ticket.status == "approved" and ticket.source == "web"
    assert ticket.approval is not None
    assert ticket.approval.by == "Dr Martin (dmartin)"
    assert ticket.approval.ref == f"web:{plan.id}:{plan.plan_sha256[:12]}"
    assert ticket.approval.at == plan.decided_at
    assert (ticket.devices, ticket.categories) == (("sw01",), (Category.VLAN,))
    assert ticket.start == parse_iso(plan.plan["start"])
    with session_factory(shared_engine(site.database_url))() as session:
        audit = AuditLog(session, "pull-a", site.state_path)
        [entry] = [e for e in audit.entries() if e.action == "ticket.approve"]
        assert audit.verify() == []
    assert entry.actor == "Dr Martin (dmartin)" and entry.subject == plan.ticket_id
    assert entry.details["sha256"] == plan.plan_sha256
    assert entry.details["from"] == "198.51.100.7" and entry.details["source"] == "web"
    entries = count(site, AuditEntry)
    again = sync_site(site)  # idempotent
    assert again.plans is not None and (again.plans.pulled, again.plans.refused) == (0, [])
    assert count(site, AuditEntry) == entries and list(site_tickets(site)) == [plan.ticket_id]
    assert sync_site(other).plans.pulled == 0  # type: ignore[union-attr]
    assert site_tickets(other) == {}  # another site's plan is neither visible nor pulled


def test_a_plan_changed_after_approval_authorizes_nothing_and_alerts_once(
    tmp_path: Path, central: Central
) -> None:
    site = make_site(tmp_path / "c", central, "pull-c")
    plan = approved_plan(central.engine, "pull-c", CLIENT)
    with central.engine.begin() as connection:  # the database owner widens the approved plan
        connection.execute(
            update(schema.change_plans)
            .where(schema.change_plans.c.id == plan.id)
            .values(plan={**plan.plan, "categories": ["vlan", "acl", "firewall"]})
        )
    report = sync_site(site).plans
    assert report is not None and report.pulled == 0
    [problem] = report.refused
    assert f"change plan {plan.id} (ticket {plan.ticket_id}) authorizes nothing" in problem
    assert f"not to {plan.plan_sha256[:12]} that the client approved" in problem
    assert site_tickets(site) == {}
    with session_factory(shared_engine(site.database_url))() as session:
        [event] = session.scalars(select(Event).where(Event.kind == "ticket_refused")).all()
    assert event.payload["ticket"] == plan.ticket_id and event.payload["source"] == "web"
    events = count(site, Event)
    again = sync_site(site).plans
    assert again is not None and len(again.refused) == 1  # still reported at every sync...
    assert count(site, Event) == events  # ...and alerted once


def test_a_withdrawn_plan_cancels_the_sites_ticket_unless_closed(
    tmp_path: Path, central: Central
) -> None:
    site = make_site(tmp_path / "d", central, "pull-d")
    called_off = approved_plan(central.engine, "pull-d", CLIENT)
    done = approved_plan(central.engine, "pull-d", CLIENT)
    assert sync_site(site).plans.pulled == 2  # type: ignore[union-attr]
    engine = shared_engine(site.database_url)
    with session_factory(engine).begin() as session:
        registry = TicketRegistry(session, "pull-d")
        registry.save(set_status(registry.get(done.ticket_id), TicketStatus.CLOSED))
    with central.engine.begin() as connection:
        planflow.withdraw(connection, called_off.id, TECH, "intervention annulée")
        planflow.withdraw(connection, done.id, TECH, "trop tard")
    report = sync_site(site).plans
    assert report is not None and report.cancelled == 1
    tickets = site_tickets(site)
    assert tickets[called_off.ticket_id].status == "cancelled"
    assert tickets[done.ticket_id].status == "closed"
    with session_factory(engine)() as session:
        entries = AuditLog(session, "pull-d", site.state_path).entries()
    [cancel] = [e for e in entries if e.action == "ticket.cancel"]
    assert (
        cancel.actor == "Tech Prisme (tech)" and cancel.details["comment"] == "intervention annulée"
    )
    assert sync_site(site).plans.cancelled == 0  # type: ignore[union-attr]


def test_the_sites_own_rules_still_apply_to_a_pulled_plan(tmp_path: Path, central: Central) -> None:
    site = make_site(tmp_path / "e", central, "pull-e")
    restricted = approved_plan(central.engine, "pull-e", CLIENT, devices=["sw02"])
    now = datetime.now(UTC)
    by_hand = Ticket(  # a draft made on the site with 'ticket add', before any sync
        id="WEB-2", title="par la CLI", devices=("sw01",), categories=(Category.VLAN,),
        start=now, end=now + timedelta(hours=1),
    )  # fmt: skip
    with session_factory(shared_engine(site.database_url)).begin() as session:
        TicketRegistry(session, "pull-e").add(by_hand)
    taken = approved_plan(central.engine, "pull-e", CLIENT)
    assert taken.ticket_id == "WEB-2"
    report = sync_site(site).plans
    assert report is not None and report.pulled == 1
    [problem] = report.refused
    assert "ticket id WEB-2 is already used on the site by a cli ticket" in problem
    refs = device_refs(build_nornir(site))
    with session_factory(shared_engine(site.database_url))() as session:
        loaded = load_tickets(site, TicketRegistry(session, "pull-e"), refs)
    [refusal] = [r for r in loaded.refused if r.ticket.id == restricted.ticket_id]
    assert "restricted devices without a written mandate" in refusal.line()
    assert "Dentsply Sirona" in refusal.line()


def test_the_daemon_pulls_in_its_writer_turn_and_not_when_stopping(
    tmp_path: Path, central: Central
) -> None:
    site = make_site(tmp_path / "f", central, "pull-f")
    approved_plan(central.engine, "pull-f", CLIENT)
    stopping = sync_site(site, lambda: nullcontext(False))  # the daemon stops first
    assert stopping.plans is None and "change plans" not in stopping.line()
    assert site_tickets(site) == {}
    writer, stop, held = threading.Lock(), threading.Event(), []

    @contextmanager
    def turn() -> Iterator[bool]:
        with write_turn(writer, stop) as ok:
            held.append(writer.locked())
            yield ok

    assert sync_site(site, turn).plans.pulled == 1  # type: ignore[union-attr]
    assert held == [True] and not writer.locked() and len(site_tickets(site)) == 1
