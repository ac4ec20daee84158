"""What the CLI imports to start: ``--help`` needs click and the command table only (no command
module: ``cli/lazy.py``), ``compare`` its own module and no database, SSH, document or facts
library, ``status`` no SSH stack.

Start-up time itself is measured by hand (benchmarks/cli.py); these tests pin the imports that
cost it, so that a top-level import in a command module cannot creep back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from prisme_drift.cli import cli
from prisme_drift.cli.lazy import COMMANDS, load_all
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
built = []  # our pydantic models whose validation schema was built
if "pydantic" in sys.modules:
    from pydantic import BaseModel
    for name, module in list(sys.modules.items()):
        for value in vars(module).values() if name.startswith("prisme_drift") else ():
            if isinstance(value, type) and issubclass(value, BaseModel):
                if value.__module__ == name and value.__pydantic_complete__:
                    built.append(f"{name}.{value.__qualname__}")
sys.stderr.write("\\nBUILT " + json.dumps(sorted(built)))
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)))
sys.exit(code)
"""
#: The CLI's own modules that every command loads: the group, the table, the entry point.
CLI_CORE = {"prisme_drift.cli", "prisme_drift.cli.app", "prisme_drift.cli.lazy"}


def _modules(args: list[str], cwd: Path, codes: tuple[int, ...] = (0,)) -> set[str]:
    """Modules loaded by ``prisme-drift ARGS`` (it must exit with one of ``codes``)."""
    return _run(args, cwd, codes)[0]


def _run(args: list[str], cwd: Path, codes: tuple[int, ...]) -> tuple[set[str], list[str]]:
    """Modules loaded by ``prisme-drift ARGS`` and our pydantic models it built a schema for."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in codes, done.stderr
    rest, modules = done.stderr.rsplit("\nMODULES ", 1)
    return set(json.loads(modules)), json.loads(rest.rsplit("\nBUILT ", 1)[1])


def _imported(args: list[str], cwd: Path, codes: tuple[int, ...] = (0,)) -> set[str]:
    """Top-level packages loaded by ``prisme-drift ARGS`` (it must exit with one of ``codes``)."""
    return {m.split(".")[0] for m in _modules(args, cwd, codes)}


def _cli_modules(loaded: set[str]) -> set[str]:
    """The command modules among ``loaded`` (prisme_drift.cli.*, but the group and table)."""
    return {m for m in loaded if m.startswith("prisme_drift.cli")} - CLI_CORE


def test_help_imports_click_and_no_heavy_library(tmp_path: Path) -> None:
    modules = _modules(["--help"], tmp_path)
    loaded = {m.split(".")[0] for m in modules}
    assert "click" in loaded
    heavy = DATABASE_AND_SCHEMA + SSH_STACK + OUTPUT_AND_DOCUMENTS + CONFIG_ANALYSIS
    assert loaded.isdisjoint(heavy), sorted(loaded.intersection(heavy))
    assert _cli_modules(modules) == set()  # the commands' modules load when one runs


def test_help_imports_no_command_module_yet_lists_every_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prisme_drift", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    listed = done.stdout.split("Commands:", 1)[1].split()
    assert [name for name in COMMANDS if name not in listed] == []


HELP = """
import click, sys
from prisme_drift.cli import main
from prisme_drift.cli.lazy import LazyGroup, load_all
if sys.argv[1] == "eager":
    load_all()
    LazyGroup.format_commands = click.Group.format_commands  # click's own list
sys.argv = ["prisme-drift", "--help"]
main()
"""


@pytest.mark.parametrize("columns", ["80", "52", "200"])
def test_help_prints_what_it_printed_with_every_command_imported(
    tmp_path: Path, columns: str
) -> None:
    """The table's summaries give click's own ``--help``, word for word, at any width."""

    def printed(mode: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", HELP, mode],
            cwd=tmp_path,
            env={**os.environ, "COLUMNS": columns},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    lazy = printed("lazy")
    assert "Commands:" in lazy and "compare" in lazy
    assert lazy == printed("eager")


def test_each_summary_in_the_table_is_the_commands_own_help() -> None:
    load_all()
    ctx = click.Context(cli)
    for name, (_modules_of, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        first = (command.help or "").split("\n\n", 1)[0]
        assert " ".join(first.split()) == summary, name
    assert sorted(cli.commands) == sorted(COMMANDS)  # no command missing from the table


def test_a_command_gets_the_subcommands_other_modules_add() -> None:
    """``report monthly`` and ``ticket note`` live in other modules than their groups."""
    ctx = click.Context(cli)
    report, ticket = cli.get_command(ctx, "report"), cli.get_command(ctx, "ticket")
    assert isinstance(report, click.Group) and isinstance(ticket, click.Group)
    assert {"audit", "monthly", "intervention"} <= set(report.commands)
    assert {"note", "ack", "close"} <= set(ticket.commands)


def test_compare_imports_neither_the_database_nor_the_ssh_stack_nor_documents(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.cfg").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "b.cfg").write_text(CONFIG.replace("desk 1", "desk 2"), encoding="utf-8")
    args = ["compare", "--json", "--platform", "ios", "a.cfg", "b.cfg"]
    modules = _modules(args, tmp_path, codes=(3,))  # 3: the files differ
    assert _cli_modules(modules) == {"prisme_drift.cli.offline"}
    loaded = {m.split(".")[0] for m in modules}
    assert "hier_config" in loaded  # it did classify
    heavy = ("sqlalchemy", "alembic", "git", *SSH_STACK, *OUTPUT_AND_DOCUMENTS)
    assert loaded.isdisjoint(heavy), sorted(loaded.intersection(heavy))


def test_compare_from_the_profile_cache_imports_no_yaml_nor_rich_and_builds_no_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a profile was validated (``profiles.cache``), ``compare`` needs click, hier_config
    (which imports pydantic) and code of ours only: no YAML parser, no rich, no schema."""
    (tmp_path / "a.cfg").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "b.cfg").write_text(CONFIG.replace("desk 1", "desk 2"), encoding="utf-8")
    args = ["compare", "--platform", "ios", "a.cfg", "b.cfg"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # empty
    _, built = _run(args, tmp_path, codes=(3,))  # the first start validates and keeps it
    assert "prisme_drift.profiles.schema.Profile" in built
    modules, built = _run(args, tmp_path, codes=(3,))
    loaded = {m.split(".")[0] for m in modules}
    assert {"click", "hier_config", "pydantic"} <= loaded
    assert loaded.isdisjoint(("yaml", "rich", *DATABASE_AND_SCHEMA[:2], *SSH_STACK)), loaded
    assert "prisme_drift.profiles.cache" in modules
    assert "prisme_drift.devicestate" not in modules  # only validation reads it
    assert built == []


def test_status_imports_no_ssh_stack(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site="startup")
    config = str(tmp_path / "site" / "prisme-drift.toml")
    loaded = _imported(["-c", config, "status", "--json"], tmp_path)
    assert "sqlalchemy" in loaded
    assert loaded.isdisjoint(SSH_STACK), loaded
