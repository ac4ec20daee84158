"""A site's baseline repository and bare remotes, as the fleet push tests use them."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prisme_drift.baseline.store import APPROVED, OBSERVED, BaselineRepo
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
