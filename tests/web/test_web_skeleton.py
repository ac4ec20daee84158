"""The web page end to end over real HTTP: a client logs in and sees only its client's sites."""

from __future__ import annotations

from tests.web.conftest import Clients, Users, WebServer, log_in


def test_a_client_logs_in_and_sees_only_its_sites(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("client", clients.a)
    with app_server.client() as browser:
        assert browser.get("/").status_code == 303  # anonymous: to the login page
        answer = log_in(browser, login, password)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        page = browser.get("/")
    assert page.status_code == 200
    for site in clients.a_sites:
        assert f'data-site="{site}"' in page.text
    for site in clients.b_sites:
        assert site not in page.text
    assert clients.b not in page.text
