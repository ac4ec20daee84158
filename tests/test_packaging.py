"""Packaging: an install prints no deprecation warning from setuptools."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    """A ``{text = ...}`` table made setuptools warn at every install (deprecated since 77)."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in data["build-system"]["requires"]
    # setuptools refuses a License classifier next to an SPDX expression
    assert not [c for c in data["project"]["classifiers"] if c.startswith("License ::")]
