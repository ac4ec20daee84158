"""End to end: the demo clinic over real SSH, a poll, then ``prisme-drift report audit``."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prisme_drift_lab import Lab
from prisme_drift_lab.topology import demo_devices
from pypdf import PdfReader

from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite, make_site

pytestmark = pytest.mark.lab
LAB_VLANS = [1, 10, 20, 30, 99]


@pytest.fixture
def polled_clinic(tmp_path: Path) -> Iterator[LabSite]:
    """The demo clinic's lab, and a site that has polled it once."""
    password = secrets.token_urlsafe(10)
    lab = Lab(demo_devices("admin", password)).start()
    try:
        site = make_site(tmp_path / "site", lab, password, timeout=30)
        report = run_poll(site.settings, deliver=False)
        assert {d.status for d in report.devices} == {"ok"}
        yield site
    finally:
        lab.stop()


def _cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        *args, config=site.folder / "prisme-drift.toml", env={"PRISME_DRIFT_CONFIG": None}
    )


def test_report_audit_over_the_lab(polled_clinic: LabSite) -> None:
    done = _cli(polled_clinic, "report", "audit", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    figures = result["figures"]
    assert result["site"] == "test-site"
    assert Path(result["pdf"]).parent == polled_clinic.folder / "reports"
    assert figures["devices"] == figures["devices_with_state"] == 4
    assert figures["devices_polled_24h"] == 4
    assert figures["vlan_ids"] == LAB_VLANS
    assert figures["any_any_rules"] == 1  # the demo's TEMP-TOUT-OUVERT rule
    assert figures["findings_by_rule"]["MGMT-TELNET"] == 1  # Telnet left on sw-accueil
    assert figures["links"] >= 2  # sw-imagerie - sw-accueil - fw-cabinet, from both switches
    text = "\n".join(p.extract_text() for p in PdfReader(result["pdf"]).pages)
    for device in polled_clinic.lab.devices:
        assert device.serial in text, device.name
    vlan_table = text.split("4. VLAN", 1)[1].split("Incohérences", 1)[0]
    for vid in LAB_VLANS:
        assert f"\n{vid} " in vlan_table, f"VLAN {vid} missing from the VLAN table"
    html = Path(result["html"]).read_text()
    assert "rt-wan" in html.split('id="topology"', 1)[1].split("</section>", 1)[0]


def test_report_audit_before_any_poll_says_so(tmp_path: Path) -> None:
    password = secrets.token_urlsafe(10)
    lab = Lab(demo_devices("admin", password)[:1]).start()
    try:
        site = make_site(tmp_path / "site", lab, password)
        done = _cli(site, "report", "audit", "--lang", "en")
    finally:
        lab.stop()
    assert done.returncode == 7
    assert "run 'prisme-drift run' first" in done.stderr
    assert not (site.folder / "reports").exists()
