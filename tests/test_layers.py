"""The layering contract (``[tool.importlinter]`` in pyproject.toml) holds, and can fail.

The suite runs ``lint-imports`` so that the test command, and CI with it, fails on an import that
points up a layer (docs/architecture.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layering_contract_holds() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "prisme_drift", tmp_path / "prisme_drift", ignore=shutil.ignore_patterns("*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_an_import_up_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    copy = _copy_package(tmp_path)
    with (copy / "prisme_drift" / "models.py").open("a") as f:
        f.write("\nimport prisme_drift.drift.items  # a value module reaching up to drift items\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "prisme_drift.models is not allowed to import prisme_drift.drift" in result.stdout


def test_the_lab_stays_out_of_the_product(tmp_path: Path) -> None:
    copy = _copy_package(tmp_path)
    with (copy / "prisme_drift" / "daemon" / "__init__.py").open("a") as f:
        f.write("\nimport prisme_drift_lab  # the daemon must not carry the simulator\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "prisme_drift.daemon is not allowed to import prisme_drift_lab" in result.stdout
