"""Rooms that say what they hold: no module of the package over 400 lines (the simulated
devices, lab/prisme_drift_lab, are test equipment of their own distribution and not counted).

A module that grows past the limit is split into modules named after what they hold (as
``report/monthly.py`` became ``monthly_input``, ``monthly_sections`` and ``monthly``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "prisme_drift"
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules_to_measure() -> None:
    modules = {p.relative_to(PACKAGE).as_posix() for p in _modules()}
    assert {"config.py", "report/monthly.py", "profiles/schema.py"} <= modules


def test_no_module_over_400_lines() -> None:
    too_long = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, (
        f"modules over {MAX_LINES} lines (split them by what they hold): {too_long}"
    )
