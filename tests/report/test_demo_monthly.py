"""``prisme-drift demo`` writes the demo site's monthly summary (its own month), prints its path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import DemoRun

pytestmark = pytest.mark.lab


def test_demo_writes_the_monthly_summary(french_demo: DemoRun) -> None:
    folder, done = french_demo.folder, french_demo.result
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    match = re.search(r"^monthly summary: (\S+\.pdf)$", done.stdout, re.M)
    assert match, done.stdout[-2000:]
    pdf = Path(match.group(1))
    assert pdf.parent == folder / "reports"
    assert re.fullmatch(r"cabinet-demo-\d{4}-\d{2}\.pdf", pdf.name)
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Synthèse mensuelle des modifications du" in text
    # the technician's two changes without a ticket (VLAN 40 and the VNC port forward)
    assert "modifications faites sans visa écrit" in text
    section = text.split("Modifications non autorisées", 1)[1]
    assert "sw-imagerie" in section and "fw-cabinet" in section
