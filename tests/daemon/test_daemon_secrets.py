"""The daemon as systemd runs it never lets a secret out: not at -vv, not in the journal, not in
the job state, the events table or the ``job_failed`` email when a secret file is broken."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.conftest import LabSite
from tests.daemon.conftest import (
    ROOT,
    DaemonProcess,
    finished_polls,
    job_states,
    query,
    set_poll_every,
    wait_until,
)
from tests.notify.conftest import (  # noqa: F401 - fixtures
    SmtpServer,
    notify_site,
    smtp_server,
    tls_files,
)

# one real daemon at a time under pytest-xdist: each start keeps a core busy (tests/conftest.py)
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("daemon")]

Daemons = Callable[..., DaemonProcess]
SECRET_LINES = ["snmp-server community S3cretComm RO", "username bob secret 0 PlainPass1"]
SECRET_VALUES = ["S3cretComm", "PlainPass1"]


def test_vv_daemon_logs_no_device_secret_no_password_and_no_error(
    lab_site: Callable[..., LabSite], daemons: Daemons
) -> None:
    site = lab_site({"sw01": "ios", "rt01": "mikrotik_routeros"})
    site.device("sw01").configure(SECRET_LINES)
    set_poll_every(site, "1s")
    daemon = daemons(site).start("-vv")
    wait_until(lambda: finished_polls(site) >= 3, 60, "3 polls")
    code, _ = daemon.stop()
    assert code == 0
    log = daemon.output()
    assert [s for s in [*SECRET_VALUES, site.password] if s in log] == []
    assert [line for line in log.splitlines() if "ERROR" in line] == []
    assert "DEBUG paramiko.transport" in log and "passwords hidden" in log  # -vv is on


def break_credentials(site: LabSite) -> str:
    """A syntax error on the password's own line (an unquoted ``: `` in the password)."""
    creds = site.folder / "credentials.yaml"
    creds.write_text(f"defaults:\n  password: {site.password}: x\ngroups: {{}}\nhosts: {{}}\n")
    creds.chmod(0o600)
    return f"{creds}, line 2, column "


def test_a_broken_credentials_file_reaches_no_journal_state_event_or_email(
    notify_site: Callable[..., tuple[LabSite, SmtpServer]],  # noqa: F811
    daemons: Daemons,
) -> None:
    site, server = notify_site(["sw01"])
    set_poll_every(site, "1s")
    settings = site.config_file.read_text().replace('outbox_every = "1m"', 'outbox_every = "1s"')
    site.config_file.write_text(settings)
    daemon = daemons(site).start("-v")
    wait_until(lambda: finished_polls(site) >= 1, 60, "a first poll")

    where = break_credentials(site)
    daemon.send(signal.SIGHUP)
    daemon.wait_log("reload refused, the running configuration stays")
    # the next polls read the live credentials file: the poll job fails and alerts once
    wait_until(lambda: server.received, 60, "the job_failed email")
    code, _ = daemon.stop()
    assert code == 0

    (mail,) = server.received
    payloads = [row[0] for row in query(site, "SELECT payload FROM events")]
    for place, text in {
        "journal": daemon.output(),
        "job state": json.dumps(job_states(site)),
        "events": "\n".join(payloads),
        "email": mail.everything(),
    }.items():
        assert site.password not in text, place
    assert "échec de la tâche poll" in mail.subject
    failed = [json.loads(p) for p in payloads if '"job": "poll"' in p]
    assert len(failed) == 1 and where in failed[0]["error"]
    assert where in job_states(site)["jobs"]["poll"]["last_error"] and where in mail.text
    assert "Traceback" not in daemon.output()

    # at start, the same file stops the daemon with exit 2 and the same quiet message
    start = subprocess.run(
        [sys.executable, "-m", "prisme_drift", "-c", str(site.config_file), "daemon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert start.returncode == 2
    assert where in start.stderr and site.password not in start.stderr + start.stdout
