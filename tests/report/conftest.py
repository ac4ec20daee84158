"""Fixtures of the report tests: the hand-made clinic, render options into a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prisme_drift.report.audit_model import AuditInput
from prisme_drift.report.render import RenderOptions
from tests.report.clinic import clinic
from tests.report.monthly_history import History, build_history


@pytest.fixture
def clinic_input() -> AuditInput:
    """The hand-made clinic (tests/report/clinic.py)."""
    return clinic()


@pytest.fixture
def options(tmp_path: Path) -> RenderOptions:
    """French, Réunion time, both formats, written under tmp_path/out."""
    return RenderOptions(lang="fr", timezone="Indian/Reunion", out_dir=tmp_path / "out")


@pytest.fixture(scope="session")
def monthly_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """A month of real history (tests/report/monthly_history.py, ~40 s of lab polls), built once
    for every monthly-summary test that needs it."""
    found, lab = build_history(tmp_path_factory.mktemp("monthly") / "site")
    try:
        yield found
    finally:
        lab.stop()
