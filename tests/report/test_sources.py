"""What the audit reads from a site: inventory roles and perimeters, mandates from tickets."""

from __future__ import annotations

from pathlib import Path

import yaml

from prisme_drift.config import load_settings
from prisme_drift.report.service import _inventory, _mandates
from prisme_drift.site import init_site

TICKET = """id: CHG-2026-120
title: Mise à jour du poste d'acquisition
devices: [orthophos-gw]
categories: [interface]
start: 2026-12-01T08:00:00+04:00
end: 2026-12-01T12:00:00+04:00
rollback: "retour à la configuration précédente"
mandate: "Mandat Dentsply Sirona n° 2026-77"
status: approved
approval: {by: Dr Dupont, at: 2026-11-28T10:00:00+04:00, ref: "mail du 28/11"}
"""


def _site(tmp_path: Path, with_ticket: bool) -> Path:
    folder = tmp_path / "site"
    init_site(folder, site="cabinet-test", client="X")
    hosts = {
        "orthophos-gw": {
            "hostname": "192.0.2.30",
            "platform": "ios",
            "data": {"role": "access", "restricted": {"manufacturer": "Dentsply Sirona"}},
        },
        "sw-accueil": {"hostname": "192.0.2.2", "platform": "ios", "data": {"role": "core"}},
    }
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    if with_ticket:
        (folder / "tickets").mkdir(exist_ok=True)
        (folder / "tickets" / "chg-120.yaml").write_text(TICKET)
    return folder / "prisme-drift.toml"


def test_inventory_gives_roles_addresses_and_perimeters(tmp_path: Path) -> None:
    devices = {d["name"]: d for d in _inventory(load_settings(_site(tmp_path, False)))}
    assert devices["orthophos-gw"]["restricted"] == "Dentsply Sirona"
    assert devices["orthophos-gw"]["address"] == "192.0.2.30"
    assert devices["sw-accueil"]["role"] == "core"
    assert devices["sw-accueil"]["restricted"] is None


def test_an_approved_ticket_with_a_mandate_is_the_device_mandate(tmp_path: Path) -> None:
    settings = load_settings(_site(tmp_path, True))
    found = _mandates(settings, _inventory(settings))
    assert set(found) == {"orthophos-gw"}
    (mandate,) = found["orthophos-gw"]
    assert (mandate.ticket, mandate.reference) == (
        "CHG-2026-120",
        "Mandat Dentsply Sirona n° 2026-77",
    )
    assert mandate.end.isoformat() == "2026-12-01T12:00:00+04:00"


def test_no_ticket_means_no_mandate(tmp_path: Path) -> None:
    settings = load_settings(_site(tmp_path, False))
    assert _mandates(settings, _inventory(settings)) == {"orthophos-gw": ()}
