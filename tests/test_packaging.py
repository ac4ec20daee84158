"""Packaging: an install prints no deprecation warning from setuptools, declares only what it
imports, and carries no simulator (the lab is an extra)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "prisme_drift"
#: Distribution name -> the module it is imported as, where they differ.
MIGRATIONS = "prisme_drift.store.migrations."  # run by alembic, not imported
IMPORT_NAMES = {"gitpython": "git", "hier-config": "hier_config", "pyyaml": "yaml"}


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    """A ``{text = ...}`` table made setuptools warn at every install (deprecated since 77)."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in data["build-system"]["requires"]
    # setuptools refuses a License classifier next to an SPDX expression
    assert not [c for c in data["project"]["classifiers"] if c.startswith("License ::")]


def _requirements() -> tuple[list[str], dict[str, list[str]]]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return data["dependencies"], data["optional-dependencies"]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0].lower()


def test_the_simulator_is_only_in_the_lab_extra() -> None:
    """``pip install .`` carries no simulator: asyncssh comes with ``[lab]`` only."""
    core, extras = _requirements()
    assert "asyncssh" not in {_name(r) for r in core}
    assert [_name(r) for r in extras["lab"]] == ["asyncssh"]
    others = {_name(r) for key, reqs in extras.items() if key != "lab" for r in reqs}
    assert "asyncssh" not in others
    # the installed metadata (what a wheel carries) agrees: asyncssh only under extra == "lab"
    for requirement in importlib.metadata.requires("prisme-drift") or []:
        if _name(requirement) == "asyncssh":
            assert 'extra == "lab"' in requirement


def test_declared_dependencies_are_imported() -> None:
    """nornir-napalm and nornir-netmiko were declared and never imported: not any more."""
    core, _ = _requirements()
    names = {_name(r) for r in core}
    assert not {"nornir-napalm", "nornir-netmiko"} & names
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for name in names - {"psycopg"}:
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.M), name


def _without_asyncssh(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``import asyncssh`` fails, as after
    ``pip install prisme-drift`` without the lab extra."""
    script = "import sys\nsys.modules['asyncssh'] = None\n" + code
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_without_the_lab_extra_says_which_extra_to_install() -> None:
    result = _without_asyncssh(
        "sys.argv = ['prisme-drift', 'demo']\nfrom prisme_drift.cli import main\nmain()\n"
    )
    assert result.returncode == 2, result.stderr
    assert "configuration error: the lab" in result.stderr
    assert "needs the 'lab' extra, which is not installed: pip install 'prisme-drift[lab]'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_product_imports_without_the_lab_extra() -> None:
    """Every module but the lab, the demo and ``__main__`` imports with asyncssh missing."""
    skipped = ("prisme_drift_lab", "prisme_drift.demo", "prisme_drift.__main__", MIGRATIONS)
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(PACKAGE.rglob("*.py"))
    ]
    wanted = [m for m in modules if not m.startswith(skipped)]
    assert len(wanted) > 100
    result = _without_asyncssh(
        f"import importlib\nfor name in {wanted!r}:\n    importlib.import_module(name)\n"
        "print('imported')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_package_data_patterns_and_data_files_match() -> None:
    """A pattern with no file behind it (``templates/*`` once) is dead configuration; a data
    file no pattern ships would be missing from the wheel."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["prisme_drift"]
    empty = [p for p in patterns if not [f for f in PACKAGE.glob(p) if f.is_file()]]
    assert empty == []
    shipped = {f for p in patterns for f in PACKAGE.glob(p)}
    tracked = subprocess.run(
        ["git", "ls-files", "prisme_drift"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    data_files = {ROOT / f for f in tracked if not f.endswith((".py", "/babel.cfg"))}
    assert sorted(str(f) for f in data_files - shipped) == []
