"""The change-plan pages over HTTP (a real uvicorn on 127.0.0.1, the real central PostgreSQL):
the provider drafts and submits, only the client of the site approves or refuses the text it
read, every form carries the CSRF token, and a forged request changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from prisme_drift.fleet import schema
from tests.fleet.plan_helpers import seed_site
from tests.web.conftest import Clients, Users, WebServer, csrf_of
from tests.web.planhttp import browser, draft_over_http, plan_fields, stored, submit_over_http

pytestmark = pytest.mark.postgres

SHA = re.compile(r'name="sha256" value="([0-9a-f]{64})"')


@pytest.fixture
def site(app_server: WebServer, clients: Clients) -> str:
    """Client A's first site, with two devices, in the Indian/Reunion timezone."""
    name = clients.a_sites[0]
    seed_site(app_server.central.engine, name, clients.a, ["sw01", "sw02"], "Indian/Reunion")
    return name


def test_drafted_by_the_provider_approved_by_the_sites_client_only(
    app_server: WebServer, users: Users, clients: Clients, site: str
) -> None:
    tech = browser(app_server, users, "technician")
    form = tech.get(f"/sites/{site}/plans/new")
    assert 'name="id" value="WEB-1"' in form.text and 'value="sw02"' in form.text
    plan_id = draft_over_http(tech, site)
    page = tech.get(f"/plans/{plan_id}")
    assert "Plan de changement WEB-1 : VLAN imagerie" in page.text and "brouillon" in page.text
    submit_over_http(tech, plan_id)
    page = tech.get(f"/plans/{plan_id}")
    assert "/approve" not in page.text and "/refuse" not in page.text  # no button for the provider
    sha = stored(app_server, plan_id).plan_sha256
    forged = tech.post(f"/plans/{plan_id}/approve", data={"csrf": csrf_of(page), "sha256": sha})
    assert forged.status_code == 403
    other = browser(app_server, users, "client", clients.b)  # another client
    assert other.get(f"/plans/{plan_id}").status_code == 404
    page_b = other.get("/")
    assert other.post(
        f"/plans/{plan_id}/approve", data={"csrf": csrf_of(page_b), "sha256": sha}
    ).status_code == 404  # fmt: skip
    assert stored(app_server, plan_id).status == "submitted"

    client = browser(app_server, users, "client", clients.a, address="198.51.100.23")
    page = client.get(f"/plans/{plan_id}")
    assert page.status_code == 200 and "en attente de votre accord" in page.text
    assert SHA.findall(page.text) == [sha, sha]  # the approve and refuse forms carry the hash
    no_csrf = client.post(f"/plans/{plan_id}/approve", data={"sha256": sha})
    wrong_csrf = client.post(f"/plans/{plan_id}/approve", data={"sha256": sha, "csrf": "x" * 43})
    assert (no_csrf.status_code, wrong_csrf.status_code) == (403, 403)
    assert stored(app_server, plan_id).status == "submitted"
    done = client.post(
        f"/plans/{plan_id}/approve", data={"csrf": csrf_of(page), "sha256": sha, "comment": "OK"}
    )
    assert done.status_code == 303
    approved = stored(app_server, plan_id)
    assert (approved.status, approved.decided_from, approved.decision_comment) == (
        "approved", "198.51.100.23", "OK",
    )  # fmt: skip
    page = client.get(f"/plans/{plan_id}")
    assert "/approve" not in page.text and "approuvé" in page.text and "198.51.100.23" in page.text
    listing = client.get(f"/sites/{site}/plans")
    assert f'href="/plans/{plan_id}"' in listing.text and "approuvé" in listing.text


def test_a_page_older_than_the_plan_or_a_changed_plan_approves_nothing(
    app_server: WebServer, users: Users, clients: Clients, site: str
) -> None:
    tech = browser(app_server, users, "admin")
    plan_id = draft_over_http(tech, site)
    submit_over_http(tech, plan_id)
    client = browser(app_server, users, "client", clients.a)
    page = client.get(f"/plans/{plan_id}")
    stale = client.post(
        f"/plans/{plan_id}/approve", data={"csrf": csrf_of(page), "sha256": "0" * 64}
    )
    assert stale.status_code == 409 and "Le plan a changé" in stale.text
    plan = stored(app_server, plan_id)
    with app_server.central.engine.begin() as connection:  # the database owner widens it
        connection.execute(
            update(schema.change_plans)
            .where(schema.change_plans.c.id == plan_id)
            .values(plan={**plan.plan, "whole_site": True})
        )
    page = client.get(f"/plans/{plan_id}")
    assert "ne correspond plus à son empreinte" in page.text
    changed = client.post(
        f"/plans/{plan_id}/approve", data={"csrf": csrf_of(page), "sha256": plan.plan_sha256}
    )
    assert changed.status_code == 409
    assert stored(app_server, plan_id).status == "submitted"


def test_the_form_lists_every_problem_and_saves_nothing(
    app_server: WebServer, users: Users, site: str
) -> None:
    tech = browser(app_server, users, "technician")
    form = tech.get(f"/sites/{site}/plans/new")
    fields = plan_fields(csrf_of(form), devices=["sw01", "sw99"])
    bad = tech.post(f"/sites/{site}/plans", data=fields)
    assert bad.status_code == 400 and "sw99 not among the devices of site" in bad.text
    bad = tech.post(f"/sites/{site}/plans", data=plan_fields(csrf_of(form), categories=[]))
    assert bad.status_code == 400 and "categories: Tuple should have at least 1 item" in bad.text
    fields = plan_fields(csrf_of(form), end=fields["start"])
    bad = tech.post(f"/sites/{site}/plans", data=fields)
    assert bad.status_code == 400 and "before it starts" in bad.text
    assert 'value="VLAN imagerie"' in bad.text  # the person's input is kept
    with app_server.central.engine.connect() as connection:
        count = connection.execute(
            select(func.count()).where(schema.change_plans.c.site == site)
        ).scalar_one()
    assert count == 0
    client = browser(app_server, users, "client", "Clinique whatever")
    assert client.get(f"/sites/{site}/plans/new").status_code == 403
    forged = client.post(f"/sites/{site}/plans", data=plan_fields(csrf_of(client.get("/"))))
    assert forged.status_code == 403


def test_only_a_draft_is_edited_and_a_refusal_needs_a_reason(
    app_server: WebServer, users: Users, clients: Clients, site: str
) -> None:
    tech = browser(app_server, users, "technician")
    plan_id = draft_over_http(tech, site)
    client = browser(app_server, users, "client", clients.a)
    assert client.get(f"/plans/{plan_id}").status_code == 404  # a client sees no draft
    edit_form = tech.get(f"/plans/{plan_id}/edit")
    assert edit_form.status_code == 200 and 'value="WEB-1"' in edit_form.text
    fields = plan_fields(csrf_of(edit_form), title="VLAN imagerie et Wi-Fi")
    assert tech.post(f"/plans/{plan_id}/edit", data=fields).status_code == 303
    assert stored(app_server, plan_id).plan["title"] == "VLAN imagerie et Wi-Fi"
    submit_over_http(tech, plan_id)
    before = stored(app_server, plan_id)
    late = tech.post(f"/plans/{plan_id}/edit", data={**fields, "title": "autre chose"})
    assert late.status_code == 409 and "Seul un brouillon peut être modifié" in late.text
    assert stored(app_server, plan_id) == before
    page = client.get(f"/plans/{plan_id}")
    sha = before.plan_sha256
    empty = client.post(f"/plans/{plan_id}/refuse", data={"csrf": csrf_of(page), "sha256": sha})
    assert empty.status_code == 409 and stored(app_server, plan_id).status == "submitted"
    reason = {"csrf": csrf_of(page), "sha256": sha, "comment": "Pas pendant les consultations"}
    assert client.post(f"/plans/{plan_id}/refuse", data=reason).status_code == 303
    refused = stored(app_server, plan_id)
    assert (refused.status, refused.decision_comment) == ("refused", reason["comment"])
    history = tech.get(f"/plans/{plan_id}").text
    for step in ("brouillon créé", "brouillon modifié", "envoyé au client", "refusé"):
        assert step in history
    anonymous = app_server.client().get(f"/plans/{plan_id}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
