"""The demo clinic (two switches, a FortiGate, a MikroTik, cabled) as a site over real SSH."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from prisme_drift_lab import Lab
from prisme_drift_lab.topology import demo_devices

from tests.conftest import LabSite, make_site


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[LabSite]:
    """The demo topology's lab and a site polling it."""
    password = secrets.token_urlsafe(10)
    lab = Lab(demo_devices("admin", password)).start()
    try:
        yield make_site(tmp_path / "site", lab, password, timeout=30)
    finally:
        lab.stop()
