"""``prisme-drift demo`` ends by writing the demo site's audit and printing its path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import DemoRun

pytestmark = pytest.mark.lab


def test_demo_writes_the_site_audit(french_demo: DemoRun) -> None:
    folder, done = french_demo.folder, french_demo.result
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    match = re.search(r"^site audit: (\S+\.pdf)$", done.stdout, re.M)
    assert match, done.stdout[-2000:]
    pdf = Path(match.group(1))
    assert pdf.parent == folder / "reports"
    assert pdf.with_suffix(".html").exists()
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "État des lieux du réseau" in text
    for device in ("sw-accueil", "sw-imagerie", "fw-cabinet"):
        assert device in text
    # the technician's VLAN 40 (CFAO-TEMP) is in the VLAN table
    assert "CFAO-TEMP" in text.split("4. VLAN", 1)[1].split("Incohérences", 1)[0]
    # ... and the intervention report of the ticketed change (VLAN 50 on sw-accueil)
    match = re.search(r"^intervention report: (\S+\.pdf)$", done.stdout, re.M)
    assert match, done.stdout[-2000:]
    cr = Path(match.group(1))
    assert cr == folder / "reports" / "interventions" / "cabinet-demo-CHG-DEMO-1.pdf"
    cr_text = " ".join("\n".join(p.extract_text() for p in PdfReader(cr).pages).split())
    assert "Compte rendu d'intervention" in cr_text and "Ajout : VLAN 50" in cr_text
    assert "autorisé (CHG-" in cr_text and "courriel du 28/11" in cr_text  # the id may wrap
