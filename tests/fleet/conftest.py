"""Fixtures of the fleet tests: a central database per module with site roles, and a site's
baseline repository with bare remotes."""

from __future__ import annotations

import secrets
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from prisme_drift.baseline.store import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.fleet.central import central_engine, grant_site, migrate
from prisme_drift.models import Snapshot

SITE = "cabinet-dupont"


def git(git_dir: Path, *args: str) -> str:
    """``git --git-dir GIT_DIR ARGS``'s output; fails the test on an error."""
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def head(git_dir: Path, branch: str) -> str | None:
    """A branch's commit in a repository, None if it has none."""
    done = subprocess.run(
        [
            "git",
            "--git-dir",
            str(git_dir),
            "rev-parse",
            "--verify",
            "--quiet",
            f"refs/heads/{branch}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def make_bare(path: Path) -> Path:
    """A bare repository as a git server holds one: non-fast-forward pushes are NOT refused by
    the server, so only the client's own rule (never force) keeps a diverged remote intact."""
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    assert (
        git(path, "config", "--bool", "--default", "false", "receive.denyNonFastForwards")
        == "false"
    )
    return path


def diverge(remote: Path, branch: str) -> str:
    """Someone else writes to the remote: a commit on top of its branch, made in the remote."""
    parent = head(remote, branch)
    assert parent is not None
    tree = git(remote, "rev-parse", f"{parent}^{{tree}}")
    theirs = subprocess.run(
        [
            "git",
            "--git-dir",
            str(remote),
            "commit-tree",
            tree,
            "-p",
            parent,
            "-m",
            "another writer",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "x",
            "GIT_AUTHOR_EMAIL": "x@y",
            "GIT_COMMITTER_NAME": "x",
            "GIT_COMMITTER_EMAIL": "x@y",
            "PATH": "/usr/bin:/bin",
        },
    ).stdout.strip()
    git(remote, "update-ref", f"refs/heads/{branch}", theirs, parent)
    return theirs


@dataclass
class Baseline:
    """The site's baseline repository; :meth:`commit` adds a poll's worth of change."""

    path: Path
    polls: int = 0

    def commit(self, branch: str = OBSERVED, config: str | None = None) -> str:
        self.polls += 1
        text = config or f"hostname sw01\nvlan {self.polls}\n"
        snapshot = Snapshot(device="sw01", platform="ios", config=text)
        when = datetime(2026, 12, 1, 8, self.polls, tzinfo=UTC)
        with BaselineRepo(self.path, SITE) as repo:
            sha = repo.commit(branch, {"sw01": snapshot}, f"poll {self.polls}", when)
        assert sha is not None
        return sha


@pytest.fixture
def baseline(tmp_path: Path) -> Baseline:
    """A baseline with one commit on ``observed`` and one on ``approved``."""
    site = Baseline(tmp_path / "site" / "baseline.git")
    site.commit(OBSERVED)
    site.commit(APPROVED)
    return site


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository: the site's repository on the provider's server."""
    return make_bare(tmp_path / "server" / f"{SITE}.git")


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
