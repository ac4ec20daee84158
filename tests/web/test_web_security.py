"""The web page's security at the HTTP level, over a real uvicorn: CSRF, the login rate limit,
sessions (expiry, logout), cookies, headers, the client address, the audit trail, and no secret
in a page or a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from prisme_drift.fleet import webaudit
from prisme_drift.fleet.schema import web_audit, web_login_attempts, web_sessions, web_users
from prisme_drift.timefmt import utcnow
from tests.web.conftest import Clients, Users, WebServer, csrf_of, log_in


def _sessions(server: WebServer, login: str) -> int:
    with server.central.engine.connect() as connection:
        query = select(func.count()).where(web_sessions.c.login == login)
        return int(connection.scalar(query) or 0)


def _attempts(server: WebServer, login: str) -> list[tuple[str, bool]]:
    a = web_login_attempts.c
    with server.central.engine.connect() as connection:
        rows = connection.execute(select(a.ip, a.ok).where(a.login == login).order_by(a.id))
        return [(row.ip, row.ok) for row in rows]


def _audit(server: WebServer, subject: str) -> list[tuple[str, str, str]]:
    w = web_audit.c
    with server.central.engine.connect() as connection:
        rows = connection.execute(
            select(w.action, w.actor, w.ip).where(w.subject == subject).order_by(w.id)
        )
        return [(row.action, row.actor, row.ip) for row in rows]


# --------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_a_login_post_without_the_right_csrf_token_is_403_and_logs_nobody_in(
    app_server: WebServer, users: Users, token: str | None
) -> None:
    login, password = users.add("technician")
    with app_server.client() as browser:
        browser.get("/login")  # the login CSRF cookie is set
        form = {"login": login, "password": password}
        if token is not None:
            form["csrf"] = token
        answer = browser.post("/login", data=form)
        assert answer.status_code == 403
        assert "prisme_session" not in answer.headers.get("set-cookie", "")
        assert browser.get("/").status_code == 303  # still anonymous
    assert _sessions(app_server, login) == 0
    assert _attempts(app_server, login) == []


def test_a_logout_post_without_the_session_token_is_403_and_ends_nothing(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("admin")
    with app_server.client() as browser:
        assert log_in(browser, login, password).status_code == 303
        token = csrf_of(browser.get("/"))
        assert browser.post("/logout", data={}).status_code == 403
        assert browser.post("/logout", data={"csrf": token[::-1]}).status_code == 403
        assert _sessions(app_server, login) == 1
        assert browser.get("/").status_code == 200  # still logged in
        # another user's session token is no good either
        other, secret = users.add("admin")
        with app_server.client() as second:
            log_in(second, other, secret)
            foreign = csrf_of(second.get("/"))
        assert browser.post("/logout", data={"csrf": foreign}).status_code == 403
        assert _sessions(app_server, login) == 1


# --------------------------------------------------------------------------- rate limit


def test_five_failures_block_the_login_for_everyone_with_a_french_message(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("client", "Clinique X")
    with app_server.client("10.9.9.1") as attacker:
        for _ in range(5):
            assert log_in(attacker, login, "not-the-password").status_code == 401
        blocked = log_in(attacker, login, password)  # even the right password now
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "900"
    assert "Trop de tentatives de connexion échouées" in blocked.text
    assert "15 minutes" in blocked.text
    with app_server.client("10.9.9.2") as owner:  # per login: the owner waits too
        assert log_in(owner, login, password).status_code == 429
    assert _sessions(app_server, login) == 0
    attempts = _attempts(app_server, login)
    assert attempts[:5] == [("10.9.9.1", False)] * 5
    assert len(attempts) == 7 and not any(ok for _, ok in attempts)
    actions = [action for action, _, _ in _audit(app_server, login)]
    assert actions.count("login_failed") == 5
    assert actions.count("login_blocked") == 2


def test_ten_failures_from_one_address_block_it_whatever_the_login(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("technician")
    with app_server.client("10.8.8.8") as scanner:
        for n in range(10):
            assert log_in(scanner, f"guess-{n}", "x").status_code == 401
        assert log_in(scanner, login, password).status_code == 429
    with app_server.client("10.8.8.9") as elsewhere:
        assert log_in(elsewhere, login, password).status_code == 303


def test_old_failures_do_not_count(app_server: WebServer, users: Users) -> None:
    login, password = users.add("technician")
    with app_server.client() as browser:
        for _ in range(5):
            log_in(browser, login, "wrong")
        with app_server.central.engine.begin() as connection:
            connection.execute(
                update(web_login_attempts)
                .where(web_login_attempts.c.login == login)
                .values(at=utcnow() - timedelta(minutes=16))
            )
        assert log_in(browser, login, password).status_code == 303


# --------------------------------------------------------------------------- sessions, cookies


def test_logout_deletes_the_session_and_clears_the_cookie(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("admin")
    with app_server.client() as browser:
        log_in(browser, login, password)
        stolen = browser.cookies["prisme_session"]
        answer = browser.post("/logout", data={"csrf": csrf_of(browser.get("/"))})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert 'prisme_session=""' in answer.headers["set-cookie"]
        assert "Max-Age=0" in answer.headers["set-cookie"]
    assert _sessions(app_server, login) == 0
    with app_server.client() as replay:  # the old cookie opens nothing any more
        replay.cookies.set("prisme_session", stolen)
        assert replay.get("/").status_code == 303
    assert [a for a, _, _ in _audit(app_server, login)] == ["user_added", "login", "logout"]


def test_an_expired_session_sends_back_to_the_login_page(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("admin")
    with app_server.client() as browser:
        log_in(browser, login, password)
        with app_server.central.engine.begin() as connection:
            row = connection.execute(
                select(web_sessions).where(web_sessions.c.login == login)
            ).one()
            assert row.expires_at - row.created_at == timedelta(hours=12)
            connection.execute(
                update(web_sessions)
                .where(web_sessions.c.login == login)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        answer = browser.get("/sites/x?y=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fsites%2Fx%3Fy%3D1"
        page = browser.get(answer.headers["location"])
        assert 'name="next" value="/sites/x?y=1"' in page.text


def test_a_disabled_user_loses_its_session_and_cannot_log_in(
    app_server: WebServer, users: Users
) -> None:
    login, password = users.add("admin")
    with app_server.client() as browser:
        log_in(browser, login, password)
        with app_server.central.engine.begin() as connection:
            connection.execute(
                update(web_users).where(web_users.c.login == login).values(disabled_at=utcnow())
            )
        assert browser.get("/").status_code == 303
        assert log_in(browser, login, password).status_code == 401


def test_the_login_goes_only_to_a_path_of_this_site(app_server: WebServer, users: Users) -> None:
    login, password = users.add("admin")
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/\\evil.example", "/"), ("/\t/evil.example", "/"),
                             ("/sites/a", "/sites/a")):  # fmt: skip
        with app_server.client() as browser:
            form = browser.get("/login")
            answer = browser.post(
                "/login",
                data={"login": login, "password": password, "csrf": csrf_of(form), "next": target},
            )
            assert answer.headers["location"] == expected


def test_cookies_are_httponly_samesite_lax_and_secure(
    web_server_factory: Callable[..., WebServer], app_server: WebServer, users: Users
) -> None:
    secure = web_server_factory(cookie_secure=True)
    login, password = users.add("admin")
    with secure.client() as browser:
        form = browser.get("/login")
        login_cookie = form.headers["set-cookie"]
        value = login_cookie.split(";", 1)[0]  # a Secure cookie: httpx keeps it for https
        answer = browser.post(
            "/login",
            data={"login": login, "password": password, "csrf": csrf_of(form), "next": "/"},
            headers={"Cookie": value},
        )
    assert answer.status_code == 303, answer.text
    session_cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("prisme_session=")
    )
    for cookie in (login_cookie, session_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" in cookie
    assert "Max-Age=43200" in session_cookie
    with app_server.client() as plain:  # --insecure-cookies
        assert "Secure" not in plain.get("/login").headers["set-cookie"]


# --------------------------------------------------------------------------- headers


def test_every_page_has_the_security_headers(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("client", clients.a)
    with app_server.client() as browser:
        answers = [browser.get("/login"), browser.get("/static/style.css")]
        log_in(browser, login, password)
        answers += [browser.get("/"), browser.get(f"/sites/{clients.a_sites[0]}")]
        answers.append(browser.get(f"/sites/{clients.b_sites[0]}"))
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "server" not in answer.headers
    for answer in answers[2:]:
        assert answer.headers["cache-control"] == "no-store"
    assert "<script" not in "".join(a.text for a in answers)


# --------------------------------------------------------------------------- client address


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    web_server_factory: Callable[..., WebServer], app_server: WebServer, users: Users
) -> None:
    login, _ = users.add("admin")
    direct = web_server_factory(trusted_proxies=("192.0.2.1",))  # 127.0.0.1 is no proxy here
    with direct.client("10.7.7.7") as browser:
        log_in(browser, login, "wrong")
    with app_server.client("10.7.7.8, 10.7.7.9") as browser:
        log_in(browser, login, "wrong")  # the proxy's own (last) address is the one believed
    assert [ip for ip, _ in _attempts(direct, login)] == ["127.0.0.1", "10.7.7.9"]


# --------------------------------------------------------------------------- audit, secrets


def test_the_audit_chain_records_logins_and_verifies(app_server: WebServer, users: Users) -> None:
    login, password = users.add("technician")
    with app_server.client("10.6.6.6") as browser:
        log_in(browser, login, "wrong")
        log_in(browser, login, password)
    assert _audit(app_server, login) == [
        ("user_added", "cli", ""),
        ("login_failed", login, "10.6.6.6"),
        ("login", login, "10.6.6.6"),
    ]
    with app_server.central.engine.begin() as connection:
        assert webaudit.verify(connection) == []
        connection.execute(
            update(web_audit).where(web_audit.c.subject == login).values(ip="10.0.0.1")
        )
        assert webaudit.verify(connection) != []
        connection.rollback()


def test_no_password_hash_or_token_in_a_page_or_a_log_line(
    app_server: WebServer, users: Users, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login, password = users.add("client", clients.a)
    pages = []
    with app_server.client() as browser:
        pages.append(log_in(browser, login, "a-wrong-Secret-123"))
        pages.append(log_in(browser, login, password))
        token = browser.cookies["prisme_session"]
        pages += [browser.get("/"), browser.get(f"/sites/{clients.a_sites[0]}")]
        pages.append(browser.get("/sites/none"))
    with app_server.central.engine.connect() as connection:
        stored = connection.scalar(
            select(web_users.c.password_hash).where(web_users.c.login == login)
        )
        digest = connection.scalar(
            select(web_sessions.c.token_sha256).where(web_sessions.c.login == login)
        )
    db_password = app_server.central.engine.url.password
    secrets_ = [password, "a-wrong-Secret-123", str(stored), token, str(digest)]
    secrets_ += [db_password] if db_password else []
    shown = "\n".join(p.text for p in pages)
    # the server's log lines (the test's own HTTP client logs the cookies it receives)
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert login in logged  # the log lines are there
    for secret in secrets_:
        assert secret not in shown
        assert secret not in logged
    assert "argon2" not in shown
