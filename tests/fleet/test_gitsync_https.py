"""The HTTPS path with a token read from a file, against git's own smart HTTP server on
127.0.0.1: the token reaches the server and nowhere else (no command line, no .git/config, no
credential store, no log, no error), and a server that hangs is cut at the timeout."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from prisme_drift.baseline.store import APPROVED, OBSERVED
from prisme_drift.errors import OperationalError
from prisme_drift.fleet.gitsync import GitPushResult, PushOutcome, push_baseline
from tests.fleet.conftest import SITE, Baseline, head
from tests.fleet.gitservers import SmartHttpServer, silent_listener, smart_http

TOKEN = "glpat-Fl33t-t0ken-42"  # the tests check it shows up nowhere but on the server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose git config stores every credential it sees (``credential.helper=store``),
    and a GIT_TRACE file recording every command git runs (with its arguments)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_TRACE", str(tmp_path / "git-trace.log"))
    return home


@pytest.fixture
def server(remote: Path, home: Path) -> Iterator[SmartHttpServer]:
    with smart_http(remote.parent, TOKEN) as running:
        yield running


def token_file(tmp_path: Path, token: str = TOKEN) -> Path:
    path = tmp_path / "fleet-git-token"
    path.write_text(token + "\n")  # as `echo` writes it
    return path


def push(baseline: Baseline, url: str, token: Path, timeout: float = 60) -> GitPushResult:
    return push_baseline(baseline.path, url, ssh_key_file=None, token_file=token, timeout=timeout)


def everything_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> str:
    """Every file under tmp_path but the token file and the server's repository, and the logs."""
    texts = [caplog.text]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "fleet-git-token" and "server" not in path.parts:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_push_over_https_with_a_token_from_a_file(
    baseline: Baseline,
    remote: Path,
    server: SmartHttpServer,
    home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config_before = (baseline.path / "config").read_text()
    url = server.url(f"{SITE}.git", user="site-dupont")

    result = push(baseline, url, token_file(tmp_path))

    assert {b.branch: b.outcome for b in result.branches} == {
        OBSERVED: PushOutcome.PUSHED,
        APPROVED: PushOutcome.PUSHED,
    }
    assert head(remote, OBSERVED) == head(baseline.path, OBSERVED)
    assert "site-dupont" in server.users  # the user name of the URL went with the token
    assert (baseline.path / "config").read_text() == config_before  # nothing stored there
    assert not (home / ".git-credentials").exists()  # the user's "store" helper never saw it
    trace = (tmp_path / "git-trace.log").read_text()
    # the trace recorded every command git ran, the credential helper included
    assert "git-remote-http" in trace and "$PRISME_DRIFT_GIT_TOKEN_FILE" in trace
    written = everything_written(tmp_path, caplog)
    assert TOKEN not in written and TOKEN not in result.summary()
    second = push(baseline, url, token_file(tmp_path))
    assert {b.outcome for b in second.branches} == {PushOutcome.UP_TO_DATE}


def test_a_wrong_token_fails_without_showing_it(
    baseline: Baseline,
    remote: Path,
    server: SmartHttpServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "glpat-Wr0ng-t0ken-17"
    result = push(baseline, server.url(f"{SITE}.git"), token_file(tmp_path, wrong))
    assert {b.outcome for b in result.branches} == {PushOutcome.FAILED}
    assert server.users and set(server.users) == {"prisme-drift"}  # the default user name
    with pytest.raises(OperationalError) as caught:
        result.raise_for_failure()
    message = str(caught.value)
    assert "Authentication failed" in message and f"127.0.0.1:{server.server_address[1]}" in message
    assert wrong not in message and wrong not in everything_written(tmp_path, caplog)
    assert head(remote, OBSERVED) is None


def test_a_server_that_hangs_is_stopped_at_the_timeout(
    baseline: Baseline, home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with silent_listener() as port:
        url = f"http://site-dupont@127.0.0.1:{port}/{SITE}.git"
        with pytest.raises(OperationalError) as caught:
            push(baseline, url, token_file(tmp_path), timeout=2)
        # the whole process group went: git push and its https helper, not git alone
        assert not _processes_naming(f"127.0.0.1:{port}/"), "git or its helper left running"
    message = str(caught.value)
    assert f"git push to {url} timed out after 2 s" in message
    assert TOKEN not in message and TOKEN not in everything_written(tmp_path, caplog)


def _processes_naming(text: str) -> list[str]:
    """Command lines of living processes that hold ``text`` (git push and its https helper
    name the remote URL on theirs)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(cmdline)
    return found
