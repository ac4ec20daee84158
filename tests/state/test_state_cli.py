"""``prisme-drift run --state`` as a technician types it (a real process, a real lab)."""

from __future__ import annotations

import json

import pytest

from prisme_drift.state.store import load_site_state
from tests.conftest import LabSite
from tests.test_cli import cli

pytestmark = pytest.mark.lab


def test_run_state_refreshes_and_prints_state_changes(clinic: LabSite) -> None:
    first = cli("run", "--json", config=clinic.config_file)
    assert first.returncode == 0, first.stderr
    assert set(load_site_state(clinic.settings)) == {d.name for d in clinic.lab.devices}
    clinic.device("sw-accueil").serial = "FOC0000A0AA"  # the box was swapped
    again = cli("run", "--state", config=clinic.config_file)
    assert again.returncode == 3, again.stderr  # a swapped device is unauthorized drift too
    assert "state sw-accueil: facts.serial: " in again.stdout
    assert "-> 'FOC0000A0AA'" in again.stdout
    third = cli("run", "--state", "--json", config=clinic.config_file)
    report = json.loads(third.stdout)
    assert report["drift"][0]["category"] == "device"
    assert all(d["state_changes"] == [] for d in report["devices"])
