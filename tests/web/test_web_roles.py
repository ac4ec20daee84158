"""Roles and per-client scoping at the HTTP level: what an admin, a technician and a client
user may open, and a client never seeing another client's site, whatever URL it tries."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.web.conftest import Clients, Users, WebServer, log_in


def _sites(html: str) -> set[str]:
    return set(re.findall(r'data-site="([^"]+)"', html))


@pytest.mark.parametrize("role", ["admin", "technician"])
def test_provider_users_see_every_clients_sites(
    app_server: WebServer, users: Users, clients: Clients, role: str
) -> None:
    login, password = users.add(role)
    with app_server.client() as browser:
        log_in(browser, login, password)
        seen = _sites(browser.get("/").text)
        pages = [browser.get(f"/sites/{site}") for site in clients.a_sites + clients.b_sites]
    assert set(clients.a_sites + clients.b_sites) <= seen
    assert [page.status_code for page in pages] == [200, 200, 200]


def test_a_client_sees_its_sites_and_nothing_of_another_client(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("client", clients.a)
    other = clients.b_sites[0]
    with app_server.client() as browser:
        log_in(browser, login, password)
        overview = browser.get("/")
        own = [browser.get(f"/sites/{site}") for site in clients.a_sites]
        tries = [
            browser.get(f"/sites/{other}"),
            browser.get(f"/sites/{other.upper()}"),
            browser.get(f"/sites/{other}/", follow_redirects=True),  # the same for any site
            browser.get(f"/sites/{other}", params={"client": clients.b}),
            browser.get("/sites/%20" + other),
        ]
    assert _sites(overview.text) == set(clients.a_sites)
    assert clients.b not in overview.text
    assert [page.status_code for page in own] == [200, 200]
    for page in tries:
        assert page.status_code == 404, page.url
        assert other not in page.text and clients.b not in page.text


def test_a_client_whose_client_has_no_site_sees_none(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("client", f"Nobody {uuid.uuid4().hex[:6]}")
    with app_server.client() as browser:
        log_in(browser, login, password)
        page = browser.get("/")
        assert browser.get(f"/sites/{clients.a_sites[0]}").status_code == 404
    assert _sites(page.text) == set()
    assert "Aucun site à afficher." in page.text


@pytest.mark.parametrize("role", ["technician", "client"])
def test_only_an_admin_opens_the_administration_page(
    app_server: WebServer, users: Users, role: str
) -> None:
    login, password = users.add(role, "C" if role == "client" else None)
    with app_server.client() as browser:
        log_in(browser, login, password)
        refused = browser.get("/admin")
        overview = browser.get("/")
    assert refused.status_code == 403
    assert "Vous n'avez pas accès à cette page." in refused.text
    assert "data-login" not in refused.text
    assert 'href="/admin"' not in overview.text


def test_the_administration_page_lists_accounts_and_the_audit_trail(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("admin")
    other, _ = users.add("client", "Clinique Y")
    with app_server.client() as browser:
        assert browser.get("/admin").headers["location"] == "/login?next=%2Fadmin"
        log_in(browser, login, password)
        page = browser.get("/admin")
    assert page.status_code == 200
    assert f'data-login="{other}"' in page.text and "Clinique Y" in page.text
    assert "La chaîne d'audit est intègre." in page.text
    assert "user_added" in page.text
    assert "argon2" not in page.text and password not in page.text
