"""End to end: a change plan drafted on the web page, approved online by the client, pulled by
its site at ``fleet sync`` and authorizing a change made on a lab device (real SSH) inside its
window; the other site pulls nothing; a plan changed in the database authorizes nothing.

Two lab sites, each syncing to the central PostgreSQL as its own role; the web application on a
real uvicorn; every step a person does goes over HTTP.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from prisme_drift.authorize.registry import AuditLog, TicketRegistry
from prisme_drift.config import load_settings
from prisme_drift.fleet import planflow, schema
from prisme_drift.fleet.plans import Actor, PlanError
from prisme_drift.fleet.sync import sync_site
from prisme_drift.poll import run_poll
from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import DriftItem
from prisme_drift.timefmt import utcnow
from tests.conftest import LabSite
from tests.fleet.conftest import Central
from tests.web.conftest import Users, WebServer, csrf_of
from tests.web.planhttp import (
    approve_over_http,
    browser,
    draft_over_http,
    plan_fields,
    stored,
    submit_over_http,
)

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

VLAN_40 = ["vlan 40", " name CFAO", "exit"]
DESCRIPTION = ["interface GigabitEthernet1/0/3", " description Poste CFAO", "exit"]


def fleet_site(
    lab_site: Callable[..., LabSite], central: Central, name: str, client: str
) -> LabSite:
    """A lab site (sw01 over SSH) named ``name`` for ``client``, syncing as its own role."""
    site = lab_site(["sw01"])
    role = central.site_role(name)
    text = site.config_file.read_text()
    text = text.replace('name = "test-site"', f'name = "{name}"')
    text = text.replace('client = "Cabinet Test"', f'client = "{client}"')
    site.config_file.write_text(text + role.fleet_section(site.folder))
    site.settings = load_settings(site.config_file)
    return site


def approved_log(site: LabSite) -> str:
    git_dir = str(site.settings.baseline_path)
    return subprocess.run(
        ["git", "--git-dir", git_dir, "log", "--format=%B", "approved"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_plan_approved_online_authorizes_the_change_on_its_site_only(
    lab_site: Callable[..., LabSite], central: Central, app_server: WebServer, users: Users
) -> None:
    one = fleet_site(lab_site, central, "e2e-one", "Cabinet Un")
    two = fleet_site(lab_site, central, "e2e-two", "Cabinet Deux")
    for site in (one, two):  # the central database learns the sites and their devices
        assert run_poll(site.settings, deliver=False).exit_code == 0
        sync_site(site.settings)
    tech = browser(app_server, users, "technician")
    client = browser(app_server, users, "client", "Cabinet Un")
    start = utcnow() - timedelta(hours=1)  # the window is open now
    vlan = draft_over_http(tech, "e2e-one", categories=["vlan"], start=start)
    ports = draft_over_http(tech, "e2e-one", categories=["interface"], start=start)
    for plan_id in (vlan, ports):
        submit_over_http(tech, plan_id)
        assert approve_over_http(client, plan_id, "Accord du Dr Un").status_code == 303
    plan = stored(app_server, vlan)
    assert (plan.ticket_id, plan.status) == ("WEB-1", "approved")

    # approved: nobody edits it any more, over HTTP or otherwise
    form = tech.get("/sites/e2e-one/plans/new")
    late = tech.post(f"/plans/{vlan}/edit", data=plan_fields(csrf_of(form), title="autre"))
    assert late.status_code == 409 and stored(app_server, vlan) == plan
    tech_actor = Actor("tech", "technician", None, "Tech", "127.0.0.1")
    with pytest.raises(PlanError, match="only a draft can be edited"), central.engine.begin() as c:
        planflow.edit(c, vlan, {**plan.plan, "categories": ["vlan", "acl"]}, tech_actor)

    # the database owner widens the second approved plan: its hash no longer matches
    widened = stored(app_server, ports)
    with central.engine.begin() as connection:
        connection.execute(
            update(schema.change_plans)
            .where(schema.change_plans.c.id == ports)
            .values(plan={**widened.plan, "end": (utcnow() + timedelta(days=30)).isoformat()})
        )

    pulled = sync_site(one.settings).plans
    assert pulled is not None and pulled.pulled == 1
    [refused] = pulled.refused
    assert f"change plan {ports} (ticket {widened.ticket_id}) authorizes nothing" in refused
    nothing = sync_site(two.settings).plans
    assert nothing is not None and (nothing.pulled, nothing.refused) == (0, [])
    with session_factory(shared_engine(two.settings.database_url))() as session:
        assert TicketRegistry(session, "e2e-two").all() == []
    with session_factory(shared_engine(one.settings.database_url))() as session:
        [ticket] = TicketRegistry(session, "e2e-one").all()
        entries = AuditLog(session, "e2e-one", one.settings.state_path).entries()
    assert (ticket.id, ticket.status, ticket.source) == ("WEB-1", "approved", "web")
    assert ticket.approval is not None and ticket.approval.ref.startswith(f"web:{vlan}:")
    [approval] = [e for e in entries if e.action == "ticket.approve"]
    assert approval.details["sha256"] == plan.plan_sha256
    assert approval.details["from"] == plan.decided_from and plan.decided_from
    assert approval.actor == f"{plan.decided_by_name} ({plan.decided_by})"

    # a change on the device inside the window: the VLAN is authorized by WEB-1; the port
    # description would have been covered by the widened plan, which authorizes nothing
    one.device("sw01").configure(VLAN_40 + DESCRIPTION)
    report = run_poll(one.settings, deliver=False)
    [still_open] = report.drift
    assert (still_open.category, still_open.verdict) == ("interface", "unauthorized")
    with session_factory(shared_engine(one.settings.database_url))() as session:
        closed = session.execute(
            select(DriftItem.category, DriftItem.verdict, DriftItem.ticket_id).where(
                DriftItem.closed_at.is_not(None)
            )
        ).all()
    assert [tuple(row) for row in closed] == [("vlan", "authorized", "WEB-1")]
    assert "Ticket: WEB-1" in approved_log(one)
    assert sync_site(one.settings).plans.pulled == 0  # type: ignore[union-attr]
