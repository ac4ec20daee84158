"""What the notify and outbox commands tell a technician at the shell: a systemd-only secret
path used outside systemd, and a message that waits for its retry time."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.notify.conftest import SMTP_PASSWORD, SmtpServer

ROOT = Path(__file__).resolve().parents[2]


def cli(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift -c config args...`` with ``env`` and without CREDENTIALS_DIRECTORY."""
    return run_cli(*args, config=config, cwd=ROOT, env={"CREDENTIALS_DIRECTORY": None, **env})


def test_credentials_directory_outside_systemd_is_explained(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    smtp = server.toml(tmp_path).replace(
        f'password_file = "{tmp_path / "smtp-password"}"',
        'password_file = "$CREDENTIALS_DIRECTORY/smtp"',  # as the README shows it
    )
    config = tmp_path / "prisme-drift.toml"
    config.write_text('[site]\nname = "cabinet-dupont"\n' + smtp)

    outside = cli(config, "notify", "test")
    assert outside.returncode == 7
    text = " ".join((outside.stdout + outside.stderr).split())  # unfold the console's wrapping
    assert "email: FAILED (config)" in text
    assert "[smtp] password_file names $CREDENTIALS_DIRECTORY" in text
    assert "set only by systemd's LoadCredential=" in text
    assert "give the file's real path in [smtp] password_file instead" in text
    assert "run the command under the unit" in text
    assert server.received == []

    # what LoadCredential= gives the service: the variable, and the file in that folder
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    (credentials / "smtp").write_text(SMTP_PASSWORD + "\n")
    (credentials / "smtp").chmod(0o400)
    inside = cli(config, "notify", "test", CREDENTIALS_DIRECTORY=str(credentials))
    assert inside.returncode == 0, inside.stdout + inside.stderr
    assert "email: OK" in inside.stdout and len(server.received) == 1


@pytest.mark.lab
def test_outbox_send_says_what_waits_for_its_retry_time_and_until_when(
    notify_site: Callable[..., tuple[LabSite, SmtpServer]],
) -> None:
    site, server = notify_site(["sw01"], start=False)
    run_poll(site.settings)
    site.device("sw01").configure(["vlan 40", " name CFAO-TEMP", "exit"])
    run_poll(site.settings)  # the relay is down: the alert waits for its retry time
    server.start()
    (message,) = json.loads(cli(site.config_file, "outbox", "list", "--json").stdout)
    assert message["status"] == "pending" and message["attempts"] == 1

    send = cli(site.config_file, "outbox", "send")
    assert send.returncode == 0, send.stderr
    assert server.received == []
    due = datetime.fromisoformat(message["next_attempt_at"]).astimezone(ZoneInfo("Indian/Reunion"))
    number = message["id"]
    lines = send.stdout.splitlines()
    assert lines[0] == "notifications: 0 sent, 0 failed, 1 pending (1 waiting for a retry time)"
    assert lines[1] == (
        f"1 message waits for a retry time; the next retry is due at "
        f"{due:%Y-%m-%d %H:%M:%S} +04:00 (Indian/Reunion), message {number}: "
        f"'prisme-drift outbox retry {number}' sends it now"
    )
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", send.stdout)  # no microseconds

    retry = cli(site.config_file, "outbox", "retry", str(number))
    assert retry.returncode == 0 and "delivered" in retry.stdout
    assert len(server.received) == 1
    quiet = cli(site.config_file, "outbox", "send")
    assert quiet.stdout.strip() == "notifications: 0 sent, 0 failed, 0 pending"
