"""End to end over SSH: a ticket, its window-edge polls, changes in and out of its scope, a
swapped switch, ``ticket note``, ``ticket close`` -> the intervention report."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from prisme_drift.authorize.model import Category, Ticket
from prisme_drift.authorize.registry import approve
from prisme_drift.cli.ticket_edits import inventory_refs, open_registry
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

IN_SCOPE = ["vlan 40", " name CFAO", "exit", "interface GigabitEthernet1/0/3",
            " switchport access vlan 40", "exit"]  # fmt: skip
OUT_OF_CATEGORY = ["interface GigabitEthernet1/0/5", " description Poste-accueil-5", "exit"]
OUT_OF_DEVICE = ["vlan 66", " name INVITES", "exit"]
NEW_SERIAL = "FOC9999Z9ZZ"
REF = "mail-Dr-Dupont-28-11"


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args)


def add_approved_ticket(site: LabSite, start: datetime, end: datetime) -> None:
    """CHG-LAB on sw01 for VLANs, approved in writing (the registry, as ``ticket approve``)."""
    draft = Ticket(
        id="CHG-LAB",
        title="VLAN CFAO salle 2",
        requested_by="Dr Dupont",
        devices=("sw01",),
        categories=(Category.VLAN,),
        start=start,
        end=end,
        rollback="no vlan 40; interface Gi1/0/3: switchport access vlan 1",
    )
    refs = inventory_refs(site.settings)
    with open_registry(site.settings) as (registry, audit):
        registry.add(draft)
        registry.save(approve(draft, refs, "Dr Dupont", REF))
        audit.append("test", "ticket.approve", draft.id, {"ref": REF})


def wait_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def test_ticket_close_writes_the_intervention_report(
    lab_site: Callable[..., LabSite], tmp_path: Path, db_url: str
) -> None:
    """On SQLite and on PostgreSQL (the same queries read polls, items and the audit trail)."""
    site = lab_site(["sw01", "sw02"], timeout=60, database_url=db_url)
    old_serial = site.device("sw01").serial
    assert run_poll(site.settings, deliver=False).exit_code == 0  # the baseline
    start = datetime.now(UTC).replace(microsecond=0)
    wait_until(start + timedelta(seconds=1))
    edge = run_poll(site.settings, trigger="window-start", deliver=False)
    assert {d.status for d in edge.devices} == {"unchanged"}
    site.device("sw01").configure(IN_SCOPE + OUT_OF_CATEGORY)
    site.device("sw02").configure(OUT_OF_DEVICE)
    site.device("sw01").serial = NEW_SERIAL  # the switch was swapped during the work
    end = datetime.now(UTC) + timedelta(seconds=1)
    add_approved_ticket(site, start, end)
    wait_until(end + timedelta(seconds=1))
    after = run_poll(site.settings, trigger="window-end", deliver=False)
    verdicts = {(i.device, i.category, i.reason) for i in after.drift}
    assert ("sw01", "interface", "category_not_in_scope") in verdicts
    assert ("sw02", "vlan", "device_not_in_scope") in verdicts

    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump([
        {"what": "ping poste CFAO en VLAN 40", "expected": "réponse", "observed": "1 ms",
         "result": "ok"},
    ], allow_unicode=True))  # fmt: skip
    photo = tmp_path / "baie-apres.jpg"
    Image.new("RGB", (640, 480), (30, 90, 160)).save(photo, format="JPEG")
    note = cli(site, "ticket", "note", "CHG-LAB", "--tests", str(tests), "--attach", str(photo),
               "--technician", "J. Martin")  # fmt: skip
    assert note.returncode == 0, note.stderr

    closed = cli(site, "ticket", "close", "CHG-LAB", "--by", "J. Martin")
    assert closed.returncode == 0, closed.stderr
    pdf = site.folder / "reports" / "interventions" / "test-site-CHG-LAB.pdf"
    assert f"intervention report: {pdf}" in closed.stdout
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    flat = " ".join(text.split())
    assert old_serial in flat and NEW_SERIAL in flat
    assert f"numéro de série : {old_serial} → {NEW_SERIAL}" in flat
    assert "Ajout : VLAN 40" in flat
    assert "Interfaces GigabitEthernet1/0/3 — VLAN d'accès : 10 → 40" in flat
    assert REF in flat and "Dr Dupont" in flat
    during = flat.split("4. Pendant", 1)[1].split("5. Après", 1)[0]
    assert "description Poste-accueil-5" in during and "type hors périmètre" in during
    assert "sw02" in during and "équipement hors périmètre" in during and "vlan 66" in during
    assert "ping poste CFAO en VLAN 40" in flat and "baie-apres.jpg" in flat
    assert "début de fenêtre" in flat and "fin de fenêtre" in flat  # the window-edge polls
    html = pdf.with_suffix(".html").read_text()
    assert 'src="data:image/jpeg;base64,' in html  # the photo's thumbnail

    again = cli(site, "report", "intervention", "CHG-LAB", "--json", "--lang", "en")
    assert again.returncode == 0, again.stderr
    figures = json.loads(again.stdout)["figures"]
    assert (figures["version"], figures["number"]) == (2, "CR-test-site-CHG-LAB-v2")
    assert figures["identity_changes"] == [
        {"device": "sw01", "fact": "facts.serial", "before": old_serial, "after": NEW_SERIAL}
    ]
    assert figures["out_of_scope"] >= 2 and figures["tests"] == 1
    assert cli(site, "audit", "verify").returncode == 0
