"""Profile extractors against the fixtures: ``tests/platforms/<platform>/<case>/state.json``.

Each ``state.json`` is the structured state the profile's extractors must read from the case's
``normalized.txt`` (no getters: a configuration alone). A new case is a new file, not new Python.
To draft one: ``python -m tests.state.test_extractors <platform>/<case>``, then check it by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from prisme_drift.profiles import get_profile
from prisme_drift.state.build import build_state

ROOT = Path(__file__).resolve().parents[1] / "platforms"
CASES = sorted(p.parent for p in ROOT.glob("*/*/state.json"))


def extracted(case: Path) -> dict[str, object]:
    """The state the case's profile reads from its normalized configuration."""
    profile = get_profile(case.parent.name)
    state = build_state(
        device=case.name,
        profile=profile,
        config=(case / "normalized.txt").read_text(encoding="utf-8"),
        facts={},
        collected_at="fixture",
    )
    return state.canonical()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_extractors_read_the_expected_state(case: Path) -> None:
    expected = json.loads((case / "state.json").read_text(encoding="utf-8"))
    assert extracted(case) == expected


def test_the_lab_platforms_have_state_fixtures() -> None:
    platforms = {c.parent.name for c in CASES}
    assert {"ios", "fortinet", "mikrotik_routeros"} <= platforms


WITH_SECRETS = [c for c in CASES if (c / "secrets.txt").exists()]


@pytest.mark.parametrize(
    "case", WITH_SECRETS, ids=[f"{c.parent.name}/{c.name}" for c in WITH_SECRETS]
)
def test_no_fixture_secret_in_the_state(case: Path) -> None:
    text = json.dumps(extracted(case))
    for secret in (case / "secrets.txt").read_text(encoding="utf-8").split("\n"):
        if secret.strip():
            assert secret.strip() not in text


if __name__ == "__main__":  # draft a state.json for a case
    target = ROOT / sys.argv[1]
    (target / "state.json").write_text(
        json.dumps(extracted(target), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
