"""The life of a change plan on the real central database: who may do what, the hash the client
read, and the web audit entry of every step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text, update

from prisme_drift.errors import ConfigError
from prisme_drift.fleet import planflow, schema
from prisme_drift.fleet.plans import (
    PlanChanged,
    PlanError,
    PlanForbidden,
    PlanNotFound,
    StoredPlan,
    get_plan,
    plan_sha256,
)
from tests.fleet.conftest import Central
from tests.fleet.plan_helpers import ADMIN, TECH, client_user, plan_form, seed_site

pytestmark = pytest.mark.postgres

CLIENT = "Cabinet Martin"


@pytest.fixture
def site(central: Central, request: pytest.FixtureRequest) -> str:
    name = f"clinic-{request.node.name[5:30].replace('_', '-')}"
    seed_site(central.engine, name, CLIENT, ["sw01", "sw02"], timezone="Indian/Reunion")
    return name


def step(central: Central, action: Callable[..., StoredPlan], *args: Any) -> StoredPlan:
    """One plan operation in its own transaction, as a web request does it."""
    with central.engine.begin() as connection:
        return action(connection, *args)


def audit_of(central: Central, plan_id: int) -> list[tuple[str, str, str, dict[str, object]]]:
    audit = schema.web_audit
    with central.engine.connect() as connection:
        rows = connection.execute(
            select(audit.c.actor, audit.c.action, audit.c.ip, audit.c.details)
            .where(audit.c.subject == f"plan {plan_id}")
            .order_by(audit.c.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_plan_drafted_submitted_and_approved_records_who_when_where_and_what(
    central: Central, site: str
) -> None:
    with central.engine.begin() as connection:
        drafted = planflow.draft(connection, site, plan_form(), TECH)
    assert (drafted.ticket_id, drafted.status, drafted.created_by) == ("WEB-1", "draft", "tech")
    assert drafted.plan_sha256 == plan_sha256(site, drafted.plan) and drafted.intact
    with central.engine.begin() as connection:
        submitted = planflow.submit(connection, drafted.id, ADMIN)
        approved = planflow.approve(
            connection, drafted.id, client_user(CLIENT), " OK ", submitted.plan_sha256
        )
    assert approved.status == "approved" and approved.plan_sha256 == drafted.plan_sha256
    assert (approved.decided_by, approved.decided_by_name) == ("dmartin", "Dr Martin")
    assert (approved.decided_from, approved.decision_comment) == ("198.51.100.7", "OK")
    assert approved.decided_at is not None
    entries = audit_of(central, drafted.id)
    assert [(a, action, ip) for a, action, ip, _ in entries] == [
        ("tech", "plan.draft", "192.0.2.50"),
        ("admin", "plan.submit", "192.0.2.51"),
        ("dmartin", "plan.approve", "198.51.100.7"),
    ]
    details = entries[-1][3]
    assert details["sha256"] == approved.plan_sha256 and details["text"] == approved.plan_text
    assert "Plan de changement WEB-1" in str(details["text"]) and details["comment"] == "OK"
    with central.engine.begin() as connection:  # the next plan of the site gets the next id
        assert planflow.draft(connection, site, plan_form(), TECH).ticket_id == "WEB-2"


def test_only_the_sites_client_approves_and_never_the_provider(central: Central, site: str) -> None:
    with central.engine.begin() as connection:
        plan = planflow.submit(connection, planflow.draft(connection, site, plan_form(), TECH).id,
                               TECH)  # fmt: skip
    for actor, error in (
        (TECH, PlanForbidden),
        (ADMIN, PlanForbidden),
        (client_user("Cabinet Dupont", "dupont"), PlanNotFound),  # another client's plan
    ):
        with pytest.raises(error), central.engine.begin() as connection:
            planflow.approve(connection, plan.id, actor, "", plan.plan_sha256)
    with pytest.raises(PlanForbidden), central.engine.begin() as connection:
        planflow.draft(connection, site, plan_form(), client_user(CLIENT))
    with central.engine.connect() as connection:
        assert get_plan(connection, plan.id).status == "submitted"
    assert [e[1] for e in audit_of(central, plan.id)] == ["plan.draft", "plan.submit"]


def test_the_client_approves_only_the_text_it_read(central: Central, site: str) -> None:
    with central.engine.begin() as connection:
        first = planflow.draft(connection, site, plan_form(), TECH)
        planflow.edit(connection, first.id, plan_form(end=plan_form()["start"][:11] + "23:00"),
                      TECH)  # fmt: skip
        plan = planflow.submit(connection, first.id, TECH)
    assert plan.plan_sha256 != first.plan_sha256  # the edit changed what the hash covers
    with pytest.raises(PlanChanged, match="changed since the page was shown"):
        step(central, planflow.approve, plan.id, client_user(CLIENT), "", first.plan_sha256)
    with pytest.raises(PlanError, match="only a draft can be edited"):
        step(central, planflow.edit, plan.id, plan_form(), TECH)
    with pytest.raises(PlanError, match="needs a comment"), central.engine.begin() as connection:
        planflow.refuse(connection, plan.id, client_user(CLIENT), "  ", plan.plan_sha256)
    with central.engine.begin() as connection:
        refused = planflow.refuse(
            connection, plan.id, client_user(CLIENT), "Pas pendant les soins", plan.plan_sha256
        )
    assert refused.status == "refused" and refused.decision_comment == "Pas pendant les soins"
    with pytest.raises(PlanError, match="only a submitted plan"):
        step(central, planflow.approve, plan.id, client_user(CLIENT), "", plan.plan_sha256)


def test_a_plan_changed_in_the_database_cannot_be_approved(central: Central, site: str) -> None:
    with central.engine.begin() as connection:
        plan = planflow.submit(connection, planflow.draft(connection, site, plan_form(), TECH).id,
                               TECH)  # fmt: skip
        wider = {**plan.plan, "devices": ["sw01", "sw02"]}
        connection.execute(
            update(schema.change_plans)
            .where(schema.change_plans.c.id == plan.id)
            .values(plan=wider)
        )
    with pytest.raises(PlanChanged, match="no longer matches its hash"):
        step(central, planflow.approve, plan.id, client_user(CLIENT), "", plan.plan_sha256)
    with central.engine.connect() as connection:
        assert get_plan(connection, plan.id).status == "submitted"


def test_drafting_checks_the_rules_the_devices_and_the_id(central: Central, site: str) -> None:
    with pytest.raises(ConfigError, match="sw99 not among the devices"):
        step(central, planflow.draft, site, plan_form(devices=["sw99"]), TECH)
    with pytest.raises(ConfigError, match="before it starts"), central.engine.begin() as c:
        planflow.draft(c, site, plan_form(end="2020-01-01T00:00Z"), TECH)
    with central.engine.begin() as connection:
        drafted = planflow.draft(connection, site, plan_form(id="CHG-7", rollback=""), TECH)
    with pytest.raises(PlanError, match="CHG-7 is already used"), central.engine.begin() as c:
        planflow.draft(c, site, plan_form(id="CHG-7"), TECH)
    with pytest.raises(PlanNotFound, match="no site"), central.engine.begin() as c:
        planflow.draft(c, "nowhere", plan_form(), TECH)
    with pytest.raises(PlanError, match="no rollback plan"), central.engine.begin() as c:
        planflow.submit(c, drafted.id, TECH)


def test_withdrawal_by_the_provider_only(central: Central, site: str) -> None:
    with central.engine.begin() as connection:
        plan = planflow.draft(connection, site, plan_form(), TECH)
    with pytest.raises(PlanForbidden), central.engine.begin() as connection:
        planflow.withdraw(connection, plan.id, client_user(CLIENT))
    with central.engine.begin() as connection:
        withdrawn = planflow.withdraw(connection, plan.id, TECH, "reporté")
    assert (withdrawn.status, withdrawn.decided_by) == ("withdrawn", "tech")
    with pytest.raises(PlanError, match="cannot be withdrawn"), central.engine.begin() as c:
        planflow.withdraw(c, plan.id, TECH)


def test_two_decisions_at_once_cannot_both_pass(central: Central, site: str) -> None:
    with central.engine.begin() as connection:
        plan = planflow.submit(
            connection, planflow.draft(connection, site, plan_form(), TECH).id, TECH
        )
    outcome: list[str] = []

    def second_decision() -> None:
        try:
            step(central, planflow.refuse, plan.id, client_user(CLIENT), "non", plan.plan_sha256)
            outcome.append("refused")
        except PlanError as exc:
            outcome.append(str(exc))

    with central.engine.begin() as first:
        planflow.approve(first, plan.id, client_user(CLIENT), "oui", plan.plan_sha256)
        other = threading.Thread(target=second_decision)
        other.start()
        while not waiting_on_a_lock(central):  # the second one reached the plan's row
            assert other.is_alive()
            time.sleep(0.05)
    other.join(timeout=60)
    assert outcome == [f"change plan {plan.id} is approved; only a submitted plan can be decided"]
    with central.engine.connect() as connection:
        assert get_plan(connection, plan.id).status == "approved"


def waiting_on_a_lock(central: Central) -> bool:
    with central.engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(found)
