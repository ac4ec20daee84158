"""``prisme-drift ticket ack``: a recorded acknowledgment of the intervention report (who, when,
which host user, the SHA-256 of the PDF read), printed in the next version's signature block."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from tests.report.test_ticket_note import run, site

__all__ = ["site"]  # the fixture: a site with one device and the draft ticket CHG-7


def _acks(config: Path) -> list[dict[str, Any]]:
    entries = json.loads(run(config, "audit", "list", "--json").stdout)
    return [e for e in entries if e["action"] == "ticket.ack"]


def _report(config: Path, *args: str) -> dict[str, Any]:
    done = run(config, "report", "intervention", "CHG-7", "--json", *args)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _text(pdf: str) -> str:
    return "".join("".join(p.extract_text() for p in PdfReader(pdf).pages).split())


def test_an_ack_before_any_report_is_refused_and_records_nothing(site: Path) -> None:
    done = run(site, "ticket", "ack", "CHG-7", "--by", "Dr Dupont", "--role", "client")
    assert done.returncode == 5
    assert "ticket CHG-7 has no intervention report (PDF) yet" in done.stderr
    assert "prisme-drift report intervention CHG-7" in done.stderr
    unknown = run(site, "ticket", "ack", "CHG-404", "--by", "Dr Dupont", "--role", "client")
    assert unknown.returncode == 5 and "no ticket 'CHG-404'" in unknown.stderr
    html_only = _report(site, "--format", "html")  # a version without a PDF: nothing to read
    assert html_only["pdf"] is None
    again = run(site, "ticket", "ack", "CHG-7", "--by", "Dr Dupont", "--role", "client")
    assert again.returncode == 5
    assert _acks(site) == []


def test_an_ack_is_recorded_and_printed_in_the_next_version(site: Path) -> None:
    first = _report(site)
    sha = hashlib.sha256(Path(first["pdf"]).read_bytes()).hexdigest()
    done = run(site, "ticket", "ack", "CHG-7", "--by", "Dr Dupont", "--role", "client",
               "--comment", "Vu, merci")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"sha256 {sha}" in done.stdout
    tech = run(site, "ticket", "ack", "CHG-7", "--by", "J. Martin", "--role", "technician")
    assert tech.returncode == 0, tech.stderr

    client, technician = _acks(site)
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    assert client["actor"] == "Dr Dupont" and client["subject"] == "CHG-7"
    assert client["details"] == {
        "role": "client",
        "comment": "Vu, merci",
        "host_user": f"{user}@{socket.gethostname()}",
        "version": 1,
        "number": "CR-cab-CHG-7",
        "pdf": first["pdf"],
        "sha256": sha,
    }
    assert technician["details"]["role"] == "technician"

    second = _report(site)
    assert second["figures"]["version"] == 2
    assert [(a["name"], a["role"], a["sha256"]) for a in second["figures"]["acknowledgments"]] == [
        ("Dr Dupont", "client", sha),
        ("J. Martin", "technician", sha),
    ]
    text = _text(second["pdf"])
    signatures = text.split("9.Signatures", 1)[1]
    assert "PrisconnaissanceparDrDupontle" in signatures
    assert f"documentCR-cab-CHG-7sha256{sha}" in signatures
    assert "«Vu,merci»" in signatures and "PrisconnaissanceparJ.Martinle" in signatures
    english = _report(site, "--lang", "en")
    assert "AcknowledgedbyDrDupont" in _text(english["pdf"])
    assert run(site, "audit", "verify").returncode == 0


def test_an_ack_of_a_pdf_changed_on_disk_is_refused(site: Path) -> None:
    pdf = Path(_report(site)["pdf"])
    pdf.write_bytes(pdf.read_bytes() + b"%edited\n")
    done = run(site, "ticket", "ack", "CHG-7", "--by", "Dr Dupont", "--role", "client")
    assert done.returncode == 5
    assert f"{pdf} is not the PDF recorded for CR-cab-CHG-7" in done.stderr
    pdf.unlink()
    assert run(site, "ticket", "ack", "CHG-7", "--by", "X", "--role", "client").returncode == 5
    assert run(site, "ticket", "ack", "CHG-7", "--by", "X", "--role", "boss").returncode == 2
    assert _acks(site) == []
