"""Who is asking: passwords (argon2id), server-side sessions, roles and the CSRF check.

The session cookie carries a random token; ``web_sessions`` keeps its SHA-256 only, so a copy
of the database gives no usable cookie. A session ends ``session_hours`` after the login, at
logout (its row deleted) or when its user is disabled. Every POST form carries ``csrf``: the
session's token, or before the login the token of the short-lived login cookie (the login form
is protected too: nobody can log a victim into the attacker's account).

Handlers are plain functions: Starlette runs them in its thread pool, so the database and
argon2 calls never block the event loop. A POST handler is wrapped by :func:`posted`, which
reads the form, checks its CSRF token (HTTP 403 otherwise, before the handler runs) and runs
the handler in the thread pool.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, and_, delete, select, update
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from prisme_drift.fleet.schema import web_sessions, web_users
from prisme_drift.timefmt import utcnow
from prisme_drift.web.context import client_ip, engine, web_config

ROLES = ("admin", "technician", "client")
PROVIDER_ROLES = ("admin", "technician")
SESSION_COOKIE = "prisme_session"
LOGIN_CSRF_COOKIE = "prisme_login_csrf"

_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
#: Compared against when the login does not exist, so both answers take as long.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the parameters are in the hash)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a damaged hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_login(connection: Connection, login: str, password: str) -> User | None:
    """The enabled user ``login`` if ``password`` is its password, else None (same work
    either way: an unknown login is not told apart by the time it takes)."""
    row = connection.execute(
        select(web_users).where(web_users.c.login == login, web_users.c.disabled_at.is_(None))
    ).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    return _user(row)


@dataclass(frozen=True)
class User:
    """A logged-in user: ``client`` is set for the role ``client`` only."""

    login: str
    role: str
    client: str | None
    display_name: str

    @property
    def is_provider(self) -> bool:
        """An admin or a technician of the provider: sees every site."""
        return self.role in PROVIDER_ROLES


def _user(row: Any) -> User:
    return User(row.login, row.role, row.client, row.display_name or row.login)


@dataclass(frozen=True)
class WebSession:
    """The request's session: its user, CSRF token and token digest."""

    user: User
    csrf: str
    digest: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(request: Request, connection: Connection, user: User) -> str:
    """A new session for ``user``; its cookie token (set it with :func:`set_session_cookie`).
    Expired sessions of everyone are deleted on the way."""
    now = utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    connection.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    connection.execute(
        web_sessions.insert().values(
            token_sha256=_digest(token),
            login=user.login,
            csrf=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=web_config(request).session_hours),
            last_seen_at=now,
            ip=client_ip(request),
        )
    )
    connection.execute(
        update(web_users).where(web_users.c.login == user.login).values(last_login_at=now)
    )
    return token


def close_session(request: Request, connection: Connection) -> WebSession | None:
    """Delete the request's session row (logout); the session it was, if any."""
    session = current_session(request)
    if session is not None:
        connection.execute(
            delete(web_sessions).where(web_sessions.c.token_sha256 == session.digest)
        )
    return session


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure unless ``--insecure-cookies``."""
    config = web_config(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(config.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=config.cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, httponly=True, samesite="lax")


def clear_session_cookie(request: Request, response: Response) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=web_config(request).cookie_secure
    )


def current_session(request: Request) -> WebSession | None:
    """The request's live session (cookie known, not expired, user enabled), else None; read
    once per request."""
    if "web_session" in request.state._state:
        found: WebSession | None = request.state.web_session
        return found
    request.state.web_session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        now = utcnow()
        s, u = web_sessions.c, web_users.c
        query = (
            select(web_users, s.csrf, s.token_sha256)
            .join(web_sessions, s.login == u.login)
            .where(and_(s.token_sha256 == _digest(token), s.expires_at > now))
            .where(u.disabled_at.is_(None))
        )
        with engine(request).begin() as connection:
            row = connection.execute(query).first()
            if row is not None:
                connection.execute(
                    update(web_sessions)
                    .where(s.token_sha256 == row.token_sha256)
                    .values(last_seen_at=now)
                )
        if row is not None:
            request.state.web_session = WebSession(_user(row), row.csrf, row.token_sha256)
    session: WebSession | None = request.state.web_session
    return session


def current_user(request: Request) -> User | None:
    """The logged-in user, None when anonymous."""
    session = current_session(request)
    return session.user if session else None


def require_user(request: Request, *roles: str) -> User:
    """The logged-in user; anonymous: a redirection to the login page (then back here); a
    role not in ``roles`` (when given): HTTP 403."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/login?next={quote(target, safe='')}"})
    if roles and user.role not in roles:
        raise HTTPException(403)
    return user


def csrf_token(request: Request) -> str:
    """The token forms must carry: the session's, else the login cookie's (a new one is made
    when the browser has none; :func:`keep_login_csrf` sets it on the response)."""
    session = current_session(request)
    if session is not None:
        return session.csrf
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return str(token)


def keep_login_csrf(request: Request, response: Response) -> None:
    """Set the login CSRF cookie when :func:`csrf_token` made a new one."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="lax",
            secure=web_config(request).cookie_secure,
        )


def check_csrf(request: Request, form: Mapping[str, Any]) -> None:
    """HTTP 403 unless the form's ``csrf`` is the session's token (or, anonymous, the login
    cookie's)."""
    session = current_session(request)
    expected = session.csrf if session else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = form.get("csrf")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise HTTPException(403, "csrf")


FormHandler = Callable[[Request, FormData], Response]


def posted(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of a POST: the form read, its CSRF token checked (HTTP 403 otherwise: the
    handler never runs), then ``handler(request, form)`` in the thread pool."""

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(_checked, handler, request, form)

    endpoint.__name__, endpoint.__doc__ = handler.__name__, handler.__doc__
    return endpoint


def _checked(handler: FormHandler, request: Request, form: FormData) -> Response:
    check_csrf(request, form)
    return handler(request, form)
