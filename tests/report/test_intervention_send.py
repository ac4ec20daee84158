"""The intervention report by email, end to end: a ticket approved, a change inside its window
over SSH on the lab, ``ticket note`` with tests and a photo, ``ticket close`` -> one email with
the PDF to the client and IT through a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS +
AUTH); never a second one for the ticket; a later version only when asked (``--send``)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from prisme_drift.poll import run_poll
from tests.clirun import run_cli
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
    lab_site: Callable[..., LabSite],
    tmp_path: Path,
    smtp_server: Callable[..., SmtpServer],
    db_url: str,
) -> None:
    """On SQLite and on PostgreSQL (the versions already queued are found by key prefix)."""
    server = smtp_server("starttls", auth=True)
    site = lab_site(["sw01"], timeout=60, database_url=db_url)
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

    # a regeneration sent on request: version 2, which says it replaces version 1
    sent = cli(site, "report", "intervention", "CHG-LAB", "--send", "--json")
    assert sent.returncode == 0, sent.stderr
    result = json.loads(sent.stdout)
    assert result["figures"]["version"] == 2
    assert (result["sent"]["queued_now"], result["sent"]["status"]) == (True, "sent")
    assert len(server.received) == 2
    second = server.received[1]
    assert second.message["Subject"].endswith("compte rendu d'intervention CHG-LAB, version 2")
    assert "Cette version 2 remplace la version 1 que nous vous avons envoyée." in second.text
    name, content = _pdf_of(second.message)
    assert name == "test-site-CHG-LAB-v2.pdf" and content == pdf.read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "CR-test-site-CHG-LAB-v2" in text and "remplace la version 1 du" in text


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift -c config args...`` in this process (tests/clirun.py)."""
    return run_cli(*args, config=config, env={"PRISME_DRIFT_CONFIG": None})


def _init(folder: Path) -> int:
    """``prisme-drift init FOLDER --site cab``'s exit code."""
    return run_cli("init", folder, "--site", "cab", env={"PRISME_DRIFT_CONFIG": None}).returncode


def _site_with_an_approved_ticket(folder: Path, server: SmtpServer) -> Path:
    """A site that was never polled, its mail settings to ``server``, CHG-7 approved."""
    assert _init(folder) == 0
    hosts = {"sw01": {"hostname": "192.0.2.1", "platform": "ios", "groups": ["switches"]}}
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (folder / "inventory" / "groups.yaml").write_text(yaml.safe_dump({"switches": {}}))
    config = folder / "prisme-drift.toml"
    text = re.sub(r"(?m)^client_to = .*$", f'client_to = ["{CLIENT}"]', config.read_text())
    config.write_text(text + "\n" + server.toml(folder))
    added = _run(config, "ticket", "add", "CHG-7", "--title", "VLAN", "--device", "sw01",
                 "--category", "vlan", "--start", "2026-12-01T08:00", "--end",
                 "2026-12-01T10:00", "--rollback", "no vlan 40")  # fmt: skip
    assert added.returncode == 0, added.stderr
    approved = _run(config, "ticket", "approve", "CHG-7", "--by", "Dr X", "--ref", "mail")
    assert approved.returncode == 0, approved.stderr
    return config


def test_a_version_still_waiting_is_withdrawn_when_a_newer_one_is_sent(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True, start=False)
    config = _site_with_an_approved_ticket(tmp_path / "cab", server)
    closed = _run(config, "ticket", "close", "CHG-7")  # the relay is down: version 1 waits
    assert closed.returncode == 0 and "not delivered yet" in closed.stderr, closed.stderr
    first = re.findall(r"outbox retry (\d+)", closed.stderr)[0]
    server.start()
    sent = _run(config, "report", "intervention", "CHG-7", "--send")
    assert sent.returncode == 0, sent.stderr
    assert _run(config, "outbox", "send").returncode == 0
    (mail,) = server.received  # version 2 only: the client never gets the outdated version 1
    assert mail.message["Subject"] == "cab : compte rendu d'intervention CHG-7, version 2"
    assert "remplace la version" not in mail.text  # version 1 was never sent
    retried = _run(config, "outbox", "retry", first)
    assert retried.returncode == 5 and "replaced by version 2" in retried.stderr
    assert len(server.received) == 1


def test_a_version_is_sent_only_when_asked_and_keeps_its_own_pdf(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    """No device needed: a ticket approved and closed on a site that was never polled."""
    server = smtp_server("starttls", auth=True)
    folder = tmp_path / "cab"
    config = _site_with_an_approved_ticket(folder, server)
    assert _run(config, "ticket", "close", "CHG-7").returncode == 0
    assert len(server.received) == 1  # version 1

    server.stop()  # the relay is down when version 2 is asked for
    down = _run(config, "report", "intervention", "CHG-7", "--send")
    assert down.returncode == 0, down.stderr
    assert "version 2 queued for" in down.stderr and "not delivered yet" in down.stderr
    kept = folder / "reports" / "interventions" / "cab-CHG-7-sent" / "cab-CHG-7-v2.pdf"
    version2 = kept.read_bytes()
    server.start()
    quiet = _run(config, "report", "intervention", "CHG-7", "--json")  # version 3: not sent
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["figures"]["version"] == 3 and len(server.received) == 1
    pdf = folder / "reports" / "interventions" / "cab-CHG-7.pdf"
    assert pdf.read_bytes() != version2 and kept.read_bytes() == version2
    retried = _run(config, "outbox", "retry", re.findall(r"outbox retry (\d+)", down.stderr)[0])
    assert retried.returncode == 0, retried.stdout
    assert len(server.received) == 2
    mail = server.received[1]
    assert mail.message["Subject"] == "cab : compte rendu d'intervention CHG-7, version 2"
    assert "Cette version 2 remplace la version 1 que nous vous avons envoyée." in mail.text
    assert _pdf_of(mail.message) == ("cab-CHG-7-v2.pdf", version2)  # the version it announces
    assert _run(config, "outbox", "send").returncode == 0 and len(server.received) == 2


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


def test_send_without_smtp_is_refused_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "cab"
    assert _init(folder) == 0
    config = folder / "prisme-drift.toml"
    done = _run(config, "report", "intervention", "CHG-7", "--send")
    assert done.returncode == 2
    assert "--send needs an [smtp] section" in done.stderr
    assert not (folder / "reports" / "interventions").exists()
