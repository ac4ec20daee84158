"""What the CLI prints while polling the lab over real SSH: no secret at any verbosity, no error
on a clean poll, and errors about secret files that never quote them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
# Plain secrets a technician types on the switch; the lab echoes them in the running config.
SECRET_LINES = ["snmp-server community S3cretComm RO", "username bob secret 0 PlainPass1"]
SECRET_VALUES = ["S3cretComm", "PlainPass1"]


def _argv(site: LabSite, args: tuple[str, ...]) -> list[str]:
    options = [a for a in args if a.startswith("-v")]
    command = [a for a in args if not a.startswith("-v")]
    return [*options, "-c", str(site.config_file), *command]


def process(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift [args]`` on the site's settings, in a subprocess (real logging set-up)."""
    return subprocess.run(
        [sys.executable, "-m", "prisme_drift", *_argv(site, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process (tests/clirun.py: the command's own logging set-up)."""
    return run_cli(*_argv(site, args), cwd=ROOT)


def state_files(site: LabSite) -> list[str]:
    """The state folder's files, but the site lock (``run`` takes it before it reads anything)."""
    return sorted(p.name for p in (site.folder / "state").iterdir() if p.suffix != ".lock")


def leaked(text: str, site: LabSite) -> list[str]:
    return [s for s in [*SECRET_VALUES, site.password] if s in text]


def test_vv_run_logs_library_debug_but_no_device_secret_nor_password(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    site.device("sw01").configure(SECRET_LINES)
    run = process(site, "-vv", "run")
    assert run.returncode == 0, run.stderr[-3000:]
    assert leaked(run.stderr + run.stdout, site) == []
    assert "DEBUG paramiko.transport" in run.stderr  # -vv does show the libraries' debug
    assert "Running task" in run.stderr and "passwords hidden" in run.stderr  # Nornir's args
    assert "read_channel" not in run.stderr  # Netmiko's channel echo is capped


def test_clean_polls_log_no_error_at_v_and_vv(lab_site: Callable[..., LabSite]) -> None:
    # RouterOS and IOS hang up on quit/exit: the session close raced the socket close and
    # paramiko logged "ERROR ... Socket exception: Bad file descriptor (9)".
    site = lab_site({"sw01": "ios", "rt01": "mikrotik_routeros", "fw01": "fortinet"})
    for verbosity in ("-v", "-vv", "-v", "-vv", "-v", "-vv"):
        run = cli(site, verbosity, "run")
        assert run.returncode == 0, run.stderr[-3000:]
        errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
        assert errors == [], errors


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_yaml_error_on_the_password_line_names_file_line_column_never_the_password(
    lab_site: Callable[..., LabSite], command: str
) -> None:
    site = lab_site(["sw01"])
    creds = site.folder / "credentials.yaml"
    # a password with ": " in it, unquoted: a YAML syntax error on the password's own line
    creds.write_text(f"defaults:\n  password: {site.password}: x\ngroups: {{}}\nhosts: {{}}\n")
    creds.chmod(0o600)
    before = state_files(site)
    result = cli(site, command)
    assert result.returncode == 2, result.stderr
    assert site.password not in result.stderr + result.stdout
    assert f"{creds}, line 2, column " in result.stderr
    assert "invalid YAML in credentials file: mapping values are not allowed here" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert state_files(site) == before
