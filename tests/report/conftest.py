"""Fixtures of the report tests: the hand-made clinic, render options into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisme_drift.report.audit_model import AuditInput
from prisme_drift.report.render import RenderOptions
from tests.report.clinic import clinic


@pytest.fixture
def clinic_input() -> AuditInput:
    """The hand-made clinic (tests/report/clinic.py)."""
    return clinic()


@pytest.fixture
def options(tmp_path: Path) -> RenderOptions:
    """French, Réunion time, both formats, written under tmp_path/out."""
    return RenderOptions(lang="fr", timezone="Indian/Reunion", out_dir=tmp_path / "out")
