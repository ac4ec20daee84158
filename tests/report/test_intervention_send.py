"""The intervention report by email, end to end: a ticket approved, a change inside its window
over SSH on the lab, ``ticket note`` with tests and a photo, ``ticket close`` -> one email with
the PDF to the client and IT through a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS +
AUTH); never a second one for the ticket; a later version only when asked (``--send``)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from prisme_drift.poll import run_poll
from tests.conftest import LabSite
from tests.notify import conftest as notify_fixtures
from tests.notify.conftest import SmtpServer
from tests.report.test_intervention_lab import IN_SCOPE, add_approved_ticket, cli, wait_until

# the real SMTP servers of the notification tests
tls_files = notify_fixtures.tls_files
smtp_server = notify_fixtures.smtp_server

pytestmark = pytest.mark.lab
CLIENT, ASSISTANT, IT = "dr.dupont@example.net", "accueil@example.net", "it@example.net"


def _mail_settings(site: LabSite, server: SmtpServer) -> None:
    """The site's settings file names the client's recipients and reaches ``server``."""
    config = site.config_file
    text = re.sub(r"(?m)^client_to = .*$", f'client_to = ["{CLIENT}"]', config.read_text())
    text = re.sub(r"(?m)^client_cc = .*$", f'client_cc = ["{ASSISTANT}"]', text)
    assert CLIENT in text and ASSISTANT in text
    config.write_text(text + "\n" + server.toml(site.folder))


def _a_ticket_with_its_work_done(site: LabSite, tmp_path: Path) -> None:
    """CHG-LAB approved, VLAN 40 configured inside its window, both edge polls, a note."""
    assert run_poll(site.settings, deliver=False).exit_code == 0  # the baseline
    start = datetime.now(UTC).replace(microsecond=0)
    wait_until(start + timedelta(seconds=1))
    run_poll(site.settings, trigger="window-start", deliver=False)
    site.device("sw01").configure(IN_SCOPE)
    end = datetime.now(UTC) + timedelta(seconds=1)
    add_approved_ticket(site, start, end)
    wait_until(end + timedelta(seconds=1))
    run_poll(site.settings, trigger="window-end", deliver=False)
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump([
        {"what": "ping poste CFAO en VLAN 40", "expected": "réponse", "observed": "1 ms",
         "result": "ok"},
    ], allow_unicode=True))  # fmt: skip
    photo = tmp_path / "baie-apres.jpg"
    Image.new("RGB", (320, 240), (30, 90, 160)).save(photo, format="JPEG")
    note = cli(site, "ticket", "note", "CHG-LAB", "--tests", str(tests), "--attach", str(photo),
               "--technician", "J. Martin")  # fmt: skip
    assert note.returncode == 0, note.stderr


def _pdf_of(message: EmailMessage) -> tuple[str, bytes]:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return str(attachment.get_filename()), attachment.get_content()


def _recorded_sha256(site: LabSite, version: int) -> str:
    """The SHA-256 the audit trail recorded for the PDF of ``version``."""
    from sqlalchemy import select

    from prisme_drift.store.engine import session_factory, shared_engine
    from prisme_drift.store.models import AuditEntry

    engine = shared_engine(site.settings.database_url)
    try:
        with session_factory(engine)() as session:
            entries = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "report.intervention")
            )
            found = {e.details["version"]: e.details["files"]["pdf"]["sha256"] for e in entries}
    finally:
        engine.dispose()
    return str(found[version])


def test_ticket_close_emails_the_report_once_and_a_new_version_only_when_asked(
    lab_site: Callable[..., LabSite], tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True)
    site = lab_site(["sw01"], timeout=60)
    _mail_settings(site, server)
    _a_ticket_with_its_work_done(site, tmp_path)

    closed = cli(site, "ticket", "close", "CHG-LAB", "--by", "J. Martin")
    assert closed.returncode == 0, closed.stderr
    assert f"version 1 sent to {CLIENT} (cc {ASSISTANT}, {IT})" in closed.stdout
    (mail,) = server.received
    assert mail.rcpt_tos == [CLIENT, ASSISTANT, IT]
    message = mail.message
    assert (message["To"], message["Cc"]) == (CLIENT, f"{ASSISTANT}, {IT}")
    assert message["Subject"] == "Cabinet Test : compte rendu d'intervention CHG-LAB, version 1"
    assert "« VLAN CFAO salle 2 »" in mail.text and "remplace" not in mail.text
    pdf = site.folder / "reports" / "interventions" / "test-site-CHG-LAB.pdf"
    name, content = _pdf_of(message)
    assert name == "test-site-CHG-LAB-v1.pdf"
    assert content == pdf.read_bytes()  # the report on disk, byte for byte
    assert hashlib.sha256(content).hexdigest() == _recorded_sha256(site, 1)
    assert any("ping poste CFAO en VLAN 40" in p.extract_text() for p in PdfReader(pdf).pages)

    # a second close is refused; the outbox has nothing left to send
    assert cli(site, "ticket", "close", "CHG-LAB").returncode == 5
    flushed = cli(site, "outbox", "send")
    assert flushed.returncode == 0, flushed.stderr
    assert len(server.received) == 1

    # a regeneration writes version 2 and sends nothing ...
    quiet = cli(site, "report", "intervention", "CHG-LAB", "--json")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["figures"]["version"] == 2 and len(server.received) == 1
    # ... until asked: version 3, its subject and text say which version it replaces
    sent = cli(site, "report", "intervention", "CHG-LAB", "--send", "--json")
    assert sent.returncode == 0, sent.stderr
    result = json.loads(sent.stdout)
    assert result["figures"]["version"] == 3
    assert (result["sent"]["queued_now"], result["sent"]["status"]) == (True, "sent")
    assert len(server.received) == 2
    second = server.received[1]
    assert second.message["Subject"].endswith("compte rendu d'intervention CHG-LAB, version 3")
    assert "Cette version 3 remplace la version 1 que nous vous avons envoyée." in second.text
    name, content = _pdf_of(second.message)
    assert name == "test-site-CHG-LAB-v3.pdf" and content == pdf.read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "CR-test-site-CHG-LAB-v3" in text and "remplace la version 2 du" in text

    # a version still waiting for the relay keeps its own PDF when the next one is written
    assert cli(site, "report", "intervention", "CHG-LAB").returncode == 0  # version 4
    kept = pdf.parent / "test-site-CHG-LAB-sent" / "test-site-CHG-LAB-v3.pdf"
    assert kept.read_bytes() == content != pdf.read_bytes()
    assert cli(site, "outbox", "send").returncode == 0
    assert len(server.received) == 2


def test_a_relay_outage_at_close_delays_the_email_and_the_outbox_sends_it_once(
    lab_site: Callable[..., LabSite], tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True, start=False)
    site = lab_site(["sw01"], timeout=60)
    _mail_settings(site, server)
    _a_ticket_with_its_work_done(site, tmp_path)

    closed = cli(site, "ticket", "close", "CHG-LAB")
    assert closed.returncode == 0, closed.stderr
    assert "version 1 queued for" in closed.stderr and "not delivered yet" in closed.stderr
    queued = re.search(r"outbox retry (\d+)", closed.stderr)
    assert queued is not None
    server.start()
    retried = cli(site, "outbox", "retry", queued.group(1))
    assert retried.returncode == 0, retried.stdout
    assert cli(site, "outbox", "send").returncode == 0
    again = cli(site, "outbox", "retry", queued.group(1))
    assert again.returncode == 5 and "not resent" in again.stderr
    assert len(server.received) == 1
    name, content = _pdf_of(server.received[0].message)
    pdf = site.folder / "reports" / "interventions" / "test-site-CHG-LAB.pdf"
    assert name == "test-site-CHG-LAB-v1.pdf" and content == pdf.read_bytes()
