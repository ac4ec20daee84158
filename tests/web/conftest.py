"""Fixtures of the web tests: the web application served by a real uvicorn on 127.0.0.1 (a free
port) over the module's central database, users to log in with, sites of two clients."""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import Engine, delete

from prisme_drift.fleet import schema
from prisme_drift.web import auth
from prisme_drift.web.app import create_app
from prisme_drift.web.app import server as web_server
from prisme_drift.web.config import WebConfig
from prisme_drift.web.users import add_user
from tests.fleet.conftest import Central, central, central_factory  # noqa: F401

CSRF = re.compile(r'name="csrf" value="([^"]+)"')

#: argon2id at the lowest cost the library accepts, for the users the web tests make and log in
#: (hundreds of logins: at the production cost, about 60 ms of CPU and 64 MiB each). The
#: production parameters are checked in a fresh interpreter, out of this patch's reach:
#: tests/web/test_web_unit.py::test_passwords_are_hashed_with_argon2id_at_the_recommended_cost.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """The web tests' passwords hashed and checked with :data:`TEST_HASHER` (a hash carries
    its own parameters: a user added under this patch is checked at its cost)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_HASHER", TEST_HASHER)
        patch.setattr(auth, "_DUMMY_HASH", TEST_HASHER.hash(secrets.token_urlsafe(16)))
        yield


@dataclass
class WebServer:
    """A running web application: its base URL, settings and central database."""

    url: str
    config: WebConfig
    central: Central
    server: uvicorn.Server

    def client(self, address: str | None = None) -> httpx.Client:
        """A fresh anonymous browser-like client (its own cookie jar) coming from ``address``
        (default: a random 10.x.y.z), told by ``X-Forwarded-For`` as the reverse proxy on
        127.0.0.1 does: each test has its own address, so the per-address login rate limit of
        one test never blocks another."""
        address = address or ".".join(["10"] + [str(secrets.randbelow(250) + 1) for _ in "xyz"])
        return httpx.Client(
            base_url=self.url,
            follow_redirects=False,
            timeout=30,
            headers={"X-Forwarded-For": address},
        )


def serve(config: WebConfig, engine: Engine) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start uvicorn in a thread on a free port of 127.0.0.1; (server, thread, base URL)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = web_server(config, create_app(config, engine))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    """Stop a server started by :func:`serve`."""
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def web_server_factory(
    central_factory: Callable[[], Central],  # noqa: F811
) -> Iterator[Callable[..., WebServer]]:
    """Starts web servers on the module's central database (plain http: insecure cookies
    unless told otherwise; the owner's engine unless one is given, e.g. the web role's); all
    stopped at the end of the module."""
    started: list[WebServer] = []
    threads: list[threading.Thread] = []

    def make(engine: Engine | None = None, **options: object) -> WebServer:
        db = central_factory()
        fields: dict[str, object] = {"url": db.url, "cookie_secure": False, **options}
        config = WebConfig(**fields)  # type: ignore[arg-type]
        server, thread, url = serve(config, engine or db.engine)
        started.append(WebServer(url, config, db, server))
        threads.append(thread)
        return started[-1]

    yield make
    for web, thread in zip(started, threads, strict=True):
        stop(web.server, thread)


@pytest.fixture(scope="module")
def app_server(web_server_factory: Callable[..., WebServer]) -> WebServer:
    """The module's web server (one per module, insecure cookies for plain http)."""
    return web_server_factory()


@dataclass
class Users:
    """Adds web users to the central database; each gets a fresh random password."""

    engine: Engine
    passwords: dict[str, str]

    def add(
        self, role: str, client: str | None = None, login: str | None = None
    ) -> tuple[str, str]:
        """A new user of ``role`` (and ``client``): (login, password)."""
        login = login or f"{role}-{uuid.uuid4().hex[:8]}"
        password = secrets.token_urlsafe(18)
        add_user(self.engine, login, role, client, password, display_name=f"User {login}")
        self.passwords[login] = password
        return login, password


@pytest.fixture
def users(central: Central) -> Users:  # noqa: F811
    """The users helper on the module's central database."""
    return Users(central.engine, {})


@dataclass(frozen=True)
class Clients:
    """Two clients with their sites (fresh names per test)."""

    a: str
    b: str
    a_sites: tuple[str, ...]
    b_sites: tuple[str, ...]


def add_site(engine: Engine, site: str, client: str, **values: object) -> None:
    """A site row as a site's first sync leaves it."""
    row = {"site": site, "client": client, "timezone": "Europe/Paris"}
    row.setdefault("last_sync_at", datetime.now(UTC))
    with engine.begin() as connection:
        connection.execute(delete(schema.sites).where(schema.sites.c.site == site))
        connection.execute(schema.sites.insert().values({**row, **values}))


@pytest.fixture
def clients(central: Central) -> Clients:  # noqa: F811
    """Client A with two sites, client B with one."""
    tag = uuid.uuid4().hex[:6]
    made = Clients(
        a=f"Clinique A {tag}",
        b=f"Cabinet B {tag}",
        a_sites=(f"a1-{tag}", f"a2-{tag}"),
        b_sites=(f"b1-{tag}",),
    )
    for site in made.a_sites:
        add_site(central.engine, site, made.a)
    for site in made.b_sites:
        add_site(central.engine, site, made.b)
    return made


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF.search(page.text)
    assert found, f"no csrf field in {page.request.url}"
    return found.group(1)


def log_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    """Log ``client`` in through the login form, as a browser does; the POST's response."""
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login", data={"login": login, "password": password, "csrf": csrf_of(form), "next": "/"}
    )


# the browser tests' fixtures (Playwright driving Debian's Chromium): tests/web/browser.py
from tests.web import browser as _browser  # noqa: E402

browser, page, screenshots = _browser.browser, _browser.page, _browser.screenshots
