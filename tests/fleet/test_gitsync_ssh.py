"""The SSH path: the real ``ssh`` client with the site's deploy key against a real SSH server on
127.0.0.1 running git's own receive-pack; the server's host key checked strictly."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from prisme_drift.baseline.store import APPROVED, OBSERVED
from prisme_drift.fleet.gitsync import GitPushResult, PushOutcome, push_baseline
from tests.fleet.conftest import SITE, Baseline, diverge, head
from tests.fleet.gitservers import SshGitServer, ssh_git


@pytest.fixture
def deploy_key(tmp_path: Path) -> Path:
    """The site's deploy key (ed25519, no passphrase), as ``ssh-keygen`` makes it."""
    key = tmp_path / "keys" / "fleet-git-key"
    key.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


@pytest.fixture
def server(remote: Path, deploy_key: Path) -> Iterator[SshGitServer]:
    with ssh_git(remote.parent, deploy_key.with_suffix(".pub")) as running:
        deploy_key.with_name("fleet-git-key.known_hosts").write_text(running.known_hosts_line())
        yield running


def push(baseline: Baseline, url: str, key: Path) -> GitPushResult:
    return push_baseline(baseline.path, url, ssh_key_file=key, token_file=None, timeout=60)


def test_push_over_ssh_with_the_deploy_key(
    baseline: Baseline, remote: Path, server: SshGitServer, deploy_key: Path
) -> None:
    url = server.url(f"{SITE}.git")
    first = push(baseline, url, deploy_key)
    assert {b.branch: b.outcome for b in first.branches} == {
        OBSERVED: PushOutcome.PUSHED,
        APPROVED: PushOutcome.PUSHED,
    }
    assert head(remote, OBSERVED) == head(baseline.path, OBSERVED)
    assert server.commands == [f"git-receive-pack '/{SITE}.git'"]
    assert {b.outcome for b in push(baseline, url, deploy_key).branches} == {PushOutcome.UP_TO_DATE}

    theirs = diverge(remote, OBSERVED)
    baseline.commit(OBSERVED)
    rejected = push(baseline, url, deploy_key)
    assert [b.branch for b in rejected.rejected] == [OBSERVED]
    assert rejected.rejected[0].remote_head == theirs  # read back with ls-remote over SSH
    assert head(remote, OBSERVED) == theirs


def test_an_unknown_server_key_is_refused(
    baseline: Baseline, remote: Path, server: SshGitServer, deploy_key: Path
) -> None:
    pinned = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    line = f"[127.0.0.1]:{server.port} {pinned}"  # another key for the same address
    deploy_key.with_name("fleet-git-key.known_hosts").write_text(line)
    result = push(baseline, server.url(f"{SITE}.git"), deploy_key)
    assert {b.outcome for b in result.branches} == {PushOutcome.FAILED}
    assert "Host key verification failed" in result.branches[0].reason
    assert server.commands == [] and head(remote, OBSERVED) is None


def test_another_key_than_the_deploy_key_is_not_offered(
    baseline: Baseline, remote: Path, server: SshGitServer, tmp_path: Path, deploy_key: Path
) -> None:
    stranger = tmp_path / "other" / "fleet-git-key"
    stranger.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    stranger.with_name("fleet-git-key.known_hosts").write_text(server.known_hosts_line())
    result = push(baseline, server.url(f"{SITE}.git"), stranger)
    assert {b.outcome for b in result.branches} == {PushOutcome.FAILED}
    assert "Permission denied" in result.branches[0].reason
    assert head(remote, OBSERVED) is None
