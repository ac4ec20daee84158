"""``report monthly --send``: the PDF reaches the client's recipients through a real SMTP server
(aiosmtpd on 127.0.0.1, STARTTLS + AUTH), IT in copy, exactly once per site and month across
processes, relay outages and retries."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.notify import conftest as notify_fixtures
from tests.notify.conftest import SmtpServer
from tests.report.monthly_history import MONTH, History

# the real SMTP servers of the notification tests
tls_files = notify_fixtures.tls_files
smtp_server = notify_fixtures.smtp_server

pytestmark = pytest.mark.lab
CLIENT, ASSISTANT, IT = "dr.dupont@example.net", "accueil@example.net", "it@example.net"


def _site(history: History, folder: Path, server: SmtpServer) -> Path:
    """A copy of the month's site whose settings send to ``server``."""
    shutil.copytree(history.site.folder, folder)
    config = folder / "prisme-drift.toml"
    text = re.sub(r"(?m)^client_to = .*$", f'client_to = ["{CLIENT}"]', config.read_text())
    text = re.sub(r"(?m)^client_cc = .*$", f'client_cc = ["{ASSISTANT}"]', text)
    assert CLIENT in text and ASSISTANT in text  # the generated settings file names both keys
    config.write_text(text + "\n" + server.toml(folder))
    return config


def _send(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    send = ("report", "monthly", "--month", MONTH, "--send")
    return run_cli(*send, *args, config=config, env={"PRISME_DRIFT_CONFIG": None})


def test_the_pdf_reaches_the_client_once(
    monthly_history: History, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True)
    config = _site(monthly_history, tmp_path / "site", server)
    done = _send(config, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["sent"]["status"] == "sent" and result["sent"]["queued_now"] is True
    (mail,) = server.received
    assert mail.rcpt_tos == [CLIENT, ASSISTANT, IT]
    message = mail.message
    assert (message["To"], message["Cc"]) == (CLIENT, f"{ASSISTANT}, {IT}")
    assert message["Subject"] == "Cabinet Test : synthèse mensuelle du réseau, Novembre 2026"
    assert "3 modifications faites sans visa écrit" in mail.text
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"test-site-{MONTH}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == Path(result["pdf"]).read_bytes()

    again = _send(config)
    assert again.returncode == 0, again.stderr
    assert "already queued for this month" in again.stdout and "not sent again" in again.stdout
    assert len(server.received) == 1


def test_a_relay_outage_delays_it_and_a_retry_sends_it_once(
    monthly_history: History, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True, start=False)
    config = _site(monthly_history, tmp_path / "site", server)
    down = _send(config)
    assert down.returncode == 0, down.stderr
    assert "not delivered yet" in down.stderr and "outbox retry" in down.stderr
    server.start()
    back = _send(config, "--json")  # a new process: the message queued by the first is reused
    assert back.returncode == 0, back.stderr
    sent = json.loads(back.stdout)["sent"]
    assert (sent["queued_now"], sent["status"]) == (False, "sent")
    assert len(server.received) == 1
    assert _send(config).returncode == 0
    assert len(server.received) == 1


def test_send_without_smtp_is_refused_before_writing(
    monthly_history: History, tmp_path: Path
) -> None:
    folder = tmp_path / "site"
    shutil.copytree(monthly_history.site.folder, folder)
    shutil.rmtree(folder / "reports", ignore_errors=True)
    done = _send(folder / "prisme-drift.toml")
    assert done.returncode == 2
    assert "--send needs an [smtp] section" in done.stderr
    assert not (folder / "reports").exists()
