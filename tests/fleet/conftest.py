"""A central fleet database of its own per test module, and site roles with passwords."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from prisme_drift.fleet.central import central_engine, grant_site, migrate


@dataclass(frozen=True)
class SiteRole:
    """A login role allowed to write one site's rows."""

    site: str
    role: str
    password: str
    url: str  # without the password

    def fleet_section(self, folder: Path, timeout: str = "30s") -> str:
        """A ``[fleet]`` section for a site folder, the password in a file beside it."""
        secret = folder / "fleet-db-password"
        secret.write_text(self.password + "\n")
        secret.chmod(0o600)
        return (
            f'\n[fleet]\nurl = "{self.url}"\npassword_file = "fleet-db-password"\n'
            f'timeout = "{timeout}"\n'
        )


@dataclass
class Central:
    """The module's central database: its owner's URL and engine, and a role maker."""

    url: str
    engine: Engine
    admin: Engine
    roles: list[str] = field(default_factory=list)

    def site_role(self, site: str) -> SiteRole:
        role = f"fleet_{site.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
        password = secrets.token_urlsafe(12)
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        self.roles.append(role)
        grant_site(self.engine, site, role)
        url = make_url(self.url).set(username=role, password=None)
        return SiteRole(site, role, password, url.render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def central_factory(pg_admin_engine: Engine) -> Iterator[Callable[[], Central]]:
    """Creates the module's central database at the newest revision (at most once)."""
    made: list[Central] = []
    name = f"prisme_fleet_{uuid.uuid4().hex[:10]}"

    def make() -> Central:
        if made:
            return made[0]
        with pg_admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = pg_admin_engine.url.set(database=name).render_as_string(hide_password=False)
        engine = central_engine(url)
        migrate(engine)
        made.append(Central(url, engine, pg_admin_engine))
        return made[0]

    yield make
    for central in made:
        central.engine.dispose()
        with pg_admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in central.roles:
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))


@pytest.fixture
def central(central_factory: Callable[[], Central]) -> Central:
    """The module's central database (created on first use)."""
    return central_factory()
