"""The central database failing under the web page: a 503 page in words, one clean log line,
and the page back as soon as the database is."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import text

from prisme_drift.fleet.central import central_engine
from tests.clirun import run_cli
from tests.fleet.conftest import Central
from tests.web.conftest import Clients, Users, WebServer, log_in
from tests.web.test_web_cli import _web_role


def test_a_failing_central_database_gives_a_503_page_and_a_clean_log_line(
    web_server_factory: Callable[..., WebServer], central: Central, users: Users,
    clients: Clients, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    role, password, url = _web_role(central)
    assert run_cli("web", "grant", role, "--url", central.url).returncode == 0
    engine = central_engine(url, password)
    try:
        server = web_server_factory(engine=engine)
        login, secret = users.add("client", clients.a)
        with server.client() as browser:
            assert log_in(browser, login, secret).status_code == 303
            assert browser.get("/").status_code == 200
            with central.engine.begin() as connection:  # the fault: a grant taken away
                connection.execute(text(f"REVOKE SELECT ON devices FROM {role}"))
            caplog.set_level(logging.ERROR, logger="prisme_drift")
            failed = browser.get("/")
            with central.engine.begin() as connection:
                connection.execute(text(f"GRANT SELECT ON devices TO {role}"))
                connection.execute(text(f"REVOKE SELECT ON tickets FROM {role}"))
            site_failed = browser.get(f"/sites/{clients.a_sites[0]}")  # a query of the page's own
            with central.engine.begin() as connection:
                connection.execute(text(f"GRANT SELECT ON tickets TO {role}"))
            again = browser.get("/")
    finally:
        engine.dispose()
    assert failed.status_code == 503
    assert "La base de données centrale ne répond pas pour le moment." in failed.text
    assert "SELECT" not in failed.text and "devices" not in failed.text
    assert failed.headers["cache-control"] == "no-store"
    lines = [r.getMessage() for r in caplog.records if r.name == "prisme_drift.web.app"]
    assert len(lines) == 2
    assert lines[0].startswith("web: GET /: cannot read the central fleet database")
    assert "permission denied for table devices" in lines[0]
    assert "[SQL" not in lines[0] and "parameters" not in lines[0] and password not in lines[0]
    assert site_failed.status_code == 503
    assert lines[1].startswith(f"web: GET /sites/{clients.a_sites[0]}: cannot read or write")
    assert "permission denied for table tickets" in lines[1] and "[SQL" not in lines[1]
    assert again.status_code == 200  # back with the database
    assert all(f'data-site="{site}"' in again.text for site in clients.a_sites)
