"""What the CLI imports to start: ``--help`` needs click and rich only, ``status`` no SSH stack.

Start-up time itself is measured by hand (benchmarks/cli_startup.py); these tests pin the
imports that cost it, so that a top-level import in a command module cannot creep back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prisme_drift.site import init_site

DATABASE_AND_SCHEMA = ("sqlalchemy", "alembic", "pydantic", "git")
SSH_STACK = ("paramiko", "netmiko", "napalm", "nornir")

RUN_CLI = """
import json, runpy, sys
sys.argv = ["prisme-drift", *json.loads(sys.argv[1])]
try:
    runpy.run_module("prisme_drift", run_name="__main__")
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
sys.exit(code)
"""


def _imported(args: list[str], cwd: Path) -> set[str]:
    """Top-level packages loaded by ``prisme-drift ARGS`` (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


def test_help_imports_neither_the_database_nor_the_ssh_stack(tmp_path: Path) -> None:
    loaded = _imported(["--help"], tmp_path)
    assert "click" in loaded
    assert loaded.isdisjoint(DATABASE_AND_SCHEMA + SSH_STACK), loaded


def test_status_imports_no_ssh_stack(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site="startup")
    config = str(tmp_path / "site" / "prisme-drift.toml")
    loaded = _imported(["-c", config, "status", "--json"], tmp_path)
    assert "sqlalchemy" in loaded
    assert loaded.isdisjoint(SSH_STACK), loaded
