"""What the CLI imports to start: ``--help`` needs click only, ``compare`` no database, SSH,
document or facts library, ``status`` no SSH stack.

Start-up time itself is measured by hand (benchmarks/cli.py); these tests pin the imports that
cost it, so that a top-level import in a command module cannot creep back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prisme_drift.site import init_site

DATABASE_AND_SCHEMA = ("sqlalchemy", "alembic", "pydantic", "git")
SSH_STACK = ("paramiko", "netmiko", "napalm", "nornir")
#: Only the commands that print a table, write a document or compare facts need these.
OUTPUT_AND_DOCUMENTS = ("rich", "jinja2", "weasyprint", "babel", "deepdiff", "httpx")
#: Profiles, classification.
CONFIG_ANALYSIS = ("yaml", "hier_config")

CONFIG = """hostname sw01
!
interface GigabitEthernet1/0/1
 description desk 1
 switchport access vlan 10
!
end
"""

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


def _imported(args: list[str], cwd: Path, codes: tuple[int, ...] = (0,)) -> set[str]:
    """Top-level packages loaded by ``prisme-drift ARGS`` (it must exit with one of ``codes``)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in codes, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


def test_help_imports_click_and_no_heavy_library(tmp_path: Path) -> None:
    loaded = _imported(["--help"], tmp_path)
    assert "click" in loaded
    heavy = DATABASE_AND_SCHEMA + SSH_STACK + OUTPUT_AND_DOCUMENTS + CONFIG_ANALYSIS
    assert loaded.isdisjoint(heavy), sorted(loaded.intersection(heavy))


def test_compare_imports_neither_the_database_nor_the_ssh_stack_nor_documents(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.cfg").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "b.cfg").write_text(CONFIG.replace("desk 1", "desk 2"), encoding="utf-8")
    args = ["compare", "--json", "--platform", "ios", "a.cfg", "b.cfg"]
    loaded = _imported(args, tmp_path, codes=(3,))  # 3: the files differ
    assert "hier_config" in loaded  # it did classify
    heavy = ("sqlalchemy", "alembic", "git", *SSH_STACK, *OUTPUT_AND_DOCUMENTS)
    assert loaded.isdisjoint(heavy), sorted(loaded.intersection(heavy))


def test_status_imports_no_ssh_stack(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site="startup")
    config = str(tmp_path / "site" / "prisme-drift.toml")
    loaded = _imported(["-c", config, "status", "--json"], tmp_path)
    assert "sqlalchemy" in loaded
    assert loaded.isdisjoint(SSH_STACK), loaded
