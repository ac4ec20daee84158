"""Packaging: an install prints no deprecation warning from setuptools, declares only what it
imports, and carries no simulator (the lab is its own distribution, lab/pyproject.toml)."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "prisme_drift"
LAB_PYPROJECT = ROOT / "lab" / "pyproject.toml"
#: Distribution name -> the module it is imported as, where they differ.
MIGRATIONS = ("prisme_drift.store.migrations.", "prisme_drift.fleet.migrations.")  # run by alembic
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


def test_the_simulator_is_its_own_distribution() -> None:
    """asyncssh is required by prisme-drift-lab (lab/), by no part of prisme-drift."""
    core, extras = _requirements()
    assert "asyncssh" not in {_name(r) for r in core}
    assert "lab" not in extras
    assert "asyncssh" not in {_name(r) for reqs in extras.values() for r in reqs}
    lab = tomllib.loads(LAB_PYPROJECT.read_text(encoding="utf-8"))
    assert lab["project"]["name"] == "prisme-drift-lab"
    assert {_name(r) for r in lab["project"]["dependencies"]} == {"prisme-drift", "asyncssh"}
    assert lab["tool"]["setuptools"]["packages"] == ["prisme_drift_lab"]
    assert (ROOT / "lab" / "prisme_drift_lab" / "__init__.py").is_file()
    # the installed metadata agrees
    assert "asyncssh" not in {_name(r) for r in importlib.metadata.requires("prisme-drift") or []}
    assert "asyncssh" in {_name(r) for r in importlib.metadata.requires("prisme-drift-lab") or []}


def _build_wheel(tmp_path: Path) -> Path:
    """Build prisme-drift's wheel as ``pip install .`` would, from a copy of the source tree."""
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".*")
    shutil.copytree(ROOT, source, ignore=ignore)
    out = tmp_path / "dist"
    out.mkdir()
    build = f"from setuptools import build_meta\nprint(build_meta.build_wheel({str(out)!r}))"
    result = subprocess.run(
        [sys.executable, "-c", build],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out / result.stdout.strip().splitlines()[-1]


def test_the_wheel_carries_neither_the_lab_nor_asyncssh(tmp_path: Path) -> None:
    """``pip install .`` installs no simulated device and does not pull asyncssh."""
    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        names = wheel.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line
            for line in wheel.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert "prisme_drift/cli/app.py" in names  # the product is there
    assert "prisme_drift/profiles/ios.yaml" in names  # with its data
    for data in ("templates/base.html", "static/style.css", "locale/fr/LC_MESSAGES/messages.po"):
        assert f"prisme_drift/web/{data}" in names  # the web page's too
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"prisme_drift"}
    assert not [n for n in names if "lab/" in n or "prisme_drift_lab" in n]
    assert len(requires) > 10
    assert not [r for r in requires if "asyncssh" in r.lower()]


def test_declared_dependencies_are_imported() -> None:
    """nornir-napalm and nornir-netmiko were declared and never imported: not any more."""
    core, _ = _requirements()
    names = {_name(r) for r in core}
    assert not {"nornir-napalm", "nornir-netmiko"} & names
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for name in names - {"psycopg"}:
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.M), name


def _without_the_lab(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``import prisme_drift_lab`` and ``import
    asyncssh`` fail, as after ``pip install .`` without ``pip install ./lab``."""
    script = "import sys\nsys.modules['asyncssh'] = sys.modules['prisme_drift_lab'] = None\n"
    script += code
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_without_the_lab_says_how_to_install_it() -> None:
    result = _without_the_lab(
        "sys.argv = ['prisme-drift', 'demo']\nfrom prisme_drift.cli import main\nmain()\n"
    )
    assert result.returncode == 2, result.stderr
    assert "configuration error: prisme-drift demo runs on the simulated devices" in result.stderr
    assert "prisme-drift-lab, which is not installed: pip install ./lab in the prisme-drift" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_product_imports_without_the_lab() -> None:
    """Every module but the demo and ``__main__`` imports with the lab and asyncssh missing."""
    skipped = ("prisme_drift.demo", "prisme_drift.__main__", *MIGRATIONS)
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(PACKAGE.rglob("*.py"))
    ]
    wanted = [m for m in modules if not m.startswith(skipped)]
    assert len(wanted) > 100
    result = _without_the_lab(
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
