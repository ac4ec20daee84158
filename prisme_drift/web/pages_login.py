"""The login and logout pages."""

from __future__ import annotations

import logging

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from prisme_drift.fleet import webaudit
from prisme_drift.web import ratelimit
from prisme_drift.web.auth import (
    check_login,
    clear_session_cookie,
    close_session,
    current_user,
    open_session,
    posted,
    set_session_cookie,
)
from prisme_drift.web.context import client_ip, engine
from prisme_drift.web.render import render

log = logging.getLogger(__name__)


def safe_next(target: object) -> str:
    """Where to go after the login: a path of this site only (never ``//host`` or a URL)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target if target.isprintable() and "\\" not in target else "/"
    return "/"


def login_page(request: Request) -> Response:
    """The login form (the fleet overview when already logged in)."""
    if current_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    target = safe_next(request.query_params.get("next"))
    return render(request, "login.html", {"next": target, "login": "", "error": None})


def login(request: Request, form: FormData) -> Response:
    """Check the password, open a session, go where the user was going."""
    login_name, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    target, ip = safe_next(form.get("next")), client_ip(request)
    context = {"next": target, "login": login_name}
    with engine(request).begin() as connection:
        if ratelimit.blocked(connection, login_name, ip):
            ratelimit.record(connection, login_name, ip, ok=False)
            webaudit.append(connection, login_name[:64], "", ip, "login_blocked", login_name, {})
            log.warning("web: login of %r from %s refused: too many failures", login_name, ip)
            page = render(request, "login.html", {**context, "error": "blocked"}, status=429)
            page.headers["Retry-After"] = str(int(ratelimit.WINDOW.total_seconds()))
            return page
        user = check_login(connection, login_name, password)
        ratelimit.record(connection, login_name, ip, ok=user is not None)
        if user is None:
            webaudit.append(connection, login_name[:64], "", ip, "login_failed", login_name, {})
            log.info("web: failed login for %r from %s", login_name, ip)
            return render(request, "login.html", {**context, "error": "bad"}, status=401)
        token = open_session(request, connection, user)
        webaudit.append(connection, user.login, user.role, ip, "login", user.login, {})
    log.info("web: %s logged in from %s", user.login, ip)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


def logout(request: Request, form: FormData) -> Response:
    """End the session (its row deleted, the cookie cleared)."""
    ip = client_ip(request)
    with engine(request).begin() as connection:
        session = close_session(request, connection)
        if session is not None:
            user = session.user
            webaudit.append(connection, user.login, user.role, ip, "logout", user.login, {})
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", posted(login), methods=["POST"]),
    Route("/logout", posted(logout), methods=["POST"]),
]
