"""The state folder and ``init``: a lost state is never recreated silently, state files are
private whatever the umask, and a failed ``init`` leaves nothing behind.

``prisme-drift`` commands run in this process (tests/clirun.py), the umask set on the process for
the call; polls over real SSH to the lab devices.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.daemon.conftest import ROOT


def prisme(
    *args: str, config: Path | None = None, umask: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``prisme-drift [-c config] args...`` in this process (tests/clirun.py); ``umask`` is
    the process's umask during the command."""
    return run_cli(*args, config=config, cwd=ROOT, umask=umask)


def tree(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


# --------------------------------------------------------------------------- lost state


@pytest.mark.lab
def test_a_deleted_state_folder_is_refused_then_recreated_on_purpose(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    state = site.folder / "state"
    shutil.rmtree(state)

    refused = prisme("run", config=site.config_file)

    assert refused.returncode == 7, refused.stderr
    assert f"the state folder {state} is gone" in refused.stderr
    assert f"prisme-drift init --recreate-state {site.folder}" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not state.exists(), "nothing may be recreated silently"
    ticket = prisme("ticket", "list", config=site.config_file)
    assert ticket.returncode == 7 and not state.exists()

    again = prisme(
        "init", str(site.folder), "--recreate-state", "--by", "alice", "--reason", "disk swap"
    )
    assert again.returncode == 0, again.stderr
    assert "host keys are learned again" in again.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "fingerprint.key").stat().st_mode) == 0o600
    entries = json.loads(prisme("audit", "list", "--json", config=site.config_file).stdout)
    recreated = [e for e in entries if e["action"] == "state.recreate"]
    assert len(recreated) == 1 and recreated[0]["actor"] == "alice"
    assert recreated[0]["details"]["reason"] == "disk swap"
    assert prisme("audit", "verify", config=site.config_file).returncode == 0

    polled = prisme("run", "--json", config=site.config_file)
    assert polled.returncode in (0, 3), polled.stderr
    assert "host key learned on first use" in polled.stderr
    twice = prisme(
        "init", str(site.folder), "--recreate-state", "--by", "alice", "--reason", "again"
    )
    assert twice.returncode == 5 and "nothing to re-create" in twice.stderr


@pytest.mark.lab
def test_a_lost_fingerprint_key_is_refused(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    (site.folder / "state" / "fingerprint.key").unlink()

    refused = prisme("run", config=site.config_file)

    assert refused.returncode == 7, refused.stderr
    assert "fingerprint key" in refused.stderr and "--recreate-state" in refused.stderr
    assert not (site.folder / "state" / "fingerprint.key").exists()


# --------------------------------------------------------------------------- permissions


@pytest.mark.lab
@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_state_files_are_private_whatever_the_umask(
    lab_site: Callable[..., LabSite], tmp_path: Path, umask: int
) -> None:
    lab = lab_site(["sw01"])  # its lab devices and settings; the site is made by the CLI
    folder = tmp_path / f"umask-{umask:03o}"
    made = prisme("init", str(folder), "--site", "test-site", umask=umask)
    assert made.returncode == 0, made.stderr
    for name in ("prisme-drift.toml", "credentials.yaml", "inventory"):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
        source = lab.folder / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    config = folder / "prisme-drift.toml"
    assert prisme("run", config=config, umask=umask).returncode == 0
    lab.device("sw01").configure(["vlan 61", " name PRIVATE", "exit"])
    assert prisme("run", config=config, umask=umask).returncode == 3
    accepted = prisme(
        "drift", "accept", "1", "--by", "bob", "--reason", "ok", config=config, umask=umask
    )
    assert accepted.returncode == 0, accepted.stderr

    state = folder / "state"
    names = {p.name for p in tree(state)}
    assert {"fingerprint.key", "known_hosts", "prisme-drift.sqlite", "prisme-drift.lock"} <= names
    assert any(n.startswith("audit") for n in names), names
    loose = [
        f"{p} {stat.S_IMODE(p.stat().st_mode):o}"
        for p in [state, *tree(state)]
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize(
    ("option", "value"),
    [("--site", "Cabinet Dupont!"), ("--timezone", "Mars/Olympus"), ("--client", "a\nb")],
)
def test_a_failed_init_leaves_nothing_and_the_retry_works(
    tmp_path: Path, option: str, value: str
) -> None:
    folder = tmp_path / "cabinet"
    before = tree(tmp_path)

    failed = prisme("init", str(folder), option, value)

    assert failed.returncode == 2, failed.stderr
    assert option in failed.stderr and "nothing was created" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert tree(tmp_path) == before, "a failed init must leave nothing behind"
    retry = prisme("init", str(folder), "--site", "cabinet", "--client", 'Cabinet "Le Sourire"')
    assert retry.returncode == 0, retry.stderr
    assert (folder / "baselines" / "HEAD").exists()
    assert (folder / "state" / "prisme-drift.sqlite").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cabinet"]  # no staging folder left
    shown = prisme("status", "--json", config=folder / "prisme-drift.toml")
    assert shown.returncode == 0, shown.stderr


def test_init_into_an_existing_folder_keeps_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "cabinet"
    folder.mkdir()
    (folder / "README").write_text("notes\n")
    made = prisme("init", str(folder))
    assert made.returncode == 0, made.stderr
    assert (folder / "README").read_text() == "notes\n"
    assert (folder / "prisme-drift.toml").exists() and (folder / "state").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["cabinet"]
