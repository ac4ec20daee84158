"""The web commands: ``web user add|list|disable``, ``web grant`` (the web page working as that
role, a site's role still shut out of the web tables) and ``web serve`` as a real process."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from prisme_drift.fleet.central import central_engine
from prisme_drift.fleet.schema import web_audit, web_sessions, web_users
from tests.clirun import run_cli
from tests.fleet.conftest import Central
from tests.web.conftest import Clients, Users, WebServer, csrf_of, log_in


def _password_file(tmp_path: Path, password: str | None = None) -> tuple[Path, str]:
    secret = password or secrets.token_urlsafe(16)
    path = tmp_path / f"pw-{uuid.uuid4().hex[:6]}"
    path.write_text(secret + "\n")
    return path, secret


def _count(central: Central, login: str) -> int:
    with central.engine.connect() as connection:
        query = select(func.count()).select_from(web_users).where(web_users.c.login == login)
        return int(connection.scalar(query) or 0)


def test_web_user_add_checks_its_options_and_changes_nothing_when_wrong(
    central: Central, tmp_path: Path
) -> None:
    file, _ = _password_file(tmp_path)
    url = ["--url", central.url]
    done = run_cli(
        "web", "user", "add", "dr-martin", "--role", "client", "--password-file", file, *url
    )
    assert done.returncode == 2, done.stderr
    assert "--client is required for --role client" in done.stderr
    done = run_cli("web", "user", "add", "tech", "--role", "technician", "--client", "X",
                   "--password-file", file, *url)  # fmt: skip
    assert done.returncode == 2 and "--client is for --role client only" in done.stderr
    short, _ = _password_file(tmp_path, "short")
    done = run_cli("web", "user", "add", "dr-martin", "--role", "client", "--client", "C",
                   "--password-file", short, *url)  # fmt: skip
    assert done.returncode == 2 and str(short) in done.stderr and "fewer than 12" in done.stderr
    done = run_cli(
        "web", "user", "add", "dr martin", "--role", "admin", "--password-file", file, *url
    )
    assert done.returncode == 2 and "'dr martin'" in done.stderr
    done = run_cli("web", "user", "add", "x", "--role", "admin", "--password-file", file)
    assert done.returncode == 2 and "--url" in done.stderr
    assert _count(central, "dr-martin") == _count(central, "tech") == 0


def test_an_existing_login_is_refused_unless_its_password_is_reset(
    app_server: WebServer, tmp_path: Path
) -> None:
    central, login = app_server.central, f"dr-{uuid.uuid4().hex[:6]}"
    first, old = _password_file(tmp_path)
    add = ["web", "user", "add", login, "--role", "client", "--client", "C", "--url", central.url]
    assert run_cli(*add, "--password-file", first).returncode == 0
    with app_server.client() as browser:
        assert log_in(browser, login, old).status_code == 303
        second, new = _password_file(tmp_path)
        done = run_cli(*add, "--password-file", second)
        assert done.returncode == 5 and "exists already" in done.stderr
        done = run_cli(*add[:5], "admin", *add[8:], "--password-file", second, "--reset-password")
        assert done.returncode == 5 and "is client of client 'C'" in done.stderr
        done = run_cli(*add, "--password-file", second, "--reset-password")
        assert done.returncode == 0, done.stderr
        assert browser.get("/").status_code == 303  # its session ended
    with app_server.client() as browser:
        assert log_in(browser, login, old).status_code == 401
        assert log_in(browser, login, new).status_code == 303
    for secret in (old, new):
        assert secret not in done.stdout + done.stderr


def test_web_user_list_and_disable(app_server: WebServer, users: Users) -> None:
    central = app_server.central
    login, password = users.add("technician")
    with app_server.client() as browser:
        log_in(browser, login, password)
        listed = run_cli("web", "user", "list", "--json", "--url", central.url)
        assert listed.returncode == 0
        rows = {row["login"]: row for row in json.loads(listed.stdout)}
        assert rows[login]["role"] == "technician" and rows[login]["disabled_at"] is None
        assert rows[login]["last_login_at"] is not None
        assert "argon2" not in listed.stdout and "password" not in listed.stdout
        done = run_cli("web", "user", "disable", login, "--url", central.url)
        assert done.returncode == 0, done.stderr
        assert browser.get("/").status_code == 303
    with app_server.client() as browser:
        assert log_in(browser, login, password).status_code == 401
    done = run_cli("web", "user", "disable", "nobody-here", "--url", central.url)
    assert done.returncode == 5 and "no web user 'nobody-here'" in done.stderr
    table = run_cli("web", "user", "list", "--url", central.url)
    assert table.returncode == 0 and login in table.stdout
    with central.engine.connect() as connection:
        actions = connection.scalars(select(web_audit.c.action).where(web_audit.c.subject == login))
        assert list(actions) == ["user_added", "login", "user_disabled", "login_failed"]


def _web_role(central: Central) -> tuple[str, str, str]:
    """A new login role (not granted anything yet): (name, password, URL without password)."""
    role, password = f"web_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(12)
    with central.admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    central.roles.append(role)
    url = make_url(central.url).set(username=role, password=None)
    return role, password, url.render_as_string(hide_password=False)


def test_the_web_page_runs_as_the_granted_role_and_a_site_role_cannot_read_its_tables(
    web_server_factory: Callable[..., WebServer], central: Central, users: Users,
    clients: Clients,
) -> None:  # fmt: skip
    role, password, url = _web_role(central)
    done = run_cli("web", "grant", role, "--url", central.url)
    assert done.returncode == 0, done.stderr
    assert run_cli("web", "grant", role, "--url", central.url).returncode == 0  # again: same
    engine = central_engine(url, password)
    try:
        server = web_server_factory(engine=engine)
        login, secret = users.add("client", clients.a)
        with server.client() as browser:
            assert log_in(browser, login, secret).status_code == 303
            overview = browser.get("/")
            assert all(f'data-site="{s}"' in overview.text for s in clients.a_sites)
            assert clients.b not in overview.text
            assert browser.get(f"/sites/{clients.a_sites[0]}").status_code == 200
            assert browser.get(f"/sites/{clients.b_sites[0]}").status_code == 404
            answer = browser.post("/logout", data={"csrf": csrf_of(overview)})
            assert answer.status_code == 303
        with central.engine.connect() as connection:
            left = select(func.count()).where(web_sessions.c.login == login)
            assert connection.scalar(left) == 0
    finally:
        engine.dispose()
    site_role = central.site_role(clients.a_sites[0])
    site_engine = central_engine(site_role.url, site_role.password)
    try:
        for table in ("web_users", "web_sessions", "web_audit", "web_login_attempts"):
            denied = pytest.raises(ProgrammingError, match="permission denied")
            with site_engine.connect() as connection, denied:
                connection.execute(text(f"SELECT * FROM {table}"))
    finally:
        site_engine.dispose()
    done = run_cli("web", "grant", site_role.role, "--url", central.url)
    assert done.returncode == 5 and "never a site's" in done.stderr
    done = run_cli("web", "grant", "no_such_role_x", "--url", central.url)
    assert done.returncode == 5 and "no database role 'no_such_role_x'" in done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_web_serve_serves_the_page_and_warns_about_insecure_cookies(
    central: Central, users: Users, clients: Clients
) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "prisme_drift", "web", "serve", "--url", central.url,
               "--listen", f"127.0.0.1:{port}", "--insecure-cookies", "--lang", "en"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=5) as probe:  # one client: each new one loads the system's CAs
            while True:
                try:
                    page = probe.get(f"{base}/login")
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.communicate()[1]
                    assert time.monotonic() < deadline, "web serve did not answer"
                    time.sleep(0.2)
        assert page.status_code == 200 and "Log in" in page.text  # --lang en
        login, password = users.add("client", clients.b)
        with httpx.Client(base_url=base) as browser:
            assert log_in(browser, login, password).status_code == 303
            assert f'data-site="{clients.b_sites[0]}"' in browser.get("/").text
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert "warning: --insecure-cookies" in stderr
    assert f"web page on http://127.0.0.1:{port}/" in stdout
    assert password not in stdout + stderr
