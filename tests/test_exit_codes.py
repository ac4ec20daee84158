"""One exit-code table for every command, driven through the real entry point in a subprocess.

0 success, 2 usage/configuration, 3 drift, 4 device failed, 5 refused, 6 busy, 7 operational
(1 is kept for bugs). docs/cli.md holds the table and one line per command.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
import yaml

from prisme_drift.cli import cli as cli_group
from prisme_drift.config import load_settings
from prisme_drift.site import init_site
from prisme_drift.sitelock import DaemonLock, site_lock

ROOT = Path(__file__).resolve().parents[1]
IOS = "hostname sw01\nvlan 10\n name STAFF\nend\n"
ENTRY = "from prisme_drift.cli import main; main()"


def entry_point(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``prisme-drift ARGS`` through the console-script target, ``prisme_drift.cli:main``."""
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_console_script_is_cli_main() -> None:
    (script,) = entry_points(group="console_scripts", name="prisme-drift")
    assert script.value == "prisme_drift.cli:main"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_site(folder: Path, port: int | None = None) -> Path:
    """An initialised site; with ``port``, one IOS device on 127.0.0.1:port."""
    init_site(folder, site="codes")
    if port is not None:
        hosts = {"sw01": {"hostname": "127.0.0.1", "port": port, "platform": "ios"}}
        (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    return folder / "prisme-drift.toml"


# Each case: build the situation in tmp_path, return (arguments, what holds a lock meanwhile).
Case = Callable[[Path], tuple[list[str], AbstractContextManager[object]]]


def ok(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    (tmp / "a.cfg").write_text(IOS)
    return ["compare", "--platform", "ios", str(tmp / "a.cfg"), str(tmp / "a.cfg")], nullcontext()


def usage(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    config = tmp / "prisme-drift.toml"
    config.write_text('[site]\nname = "s"\n[collect]\nworkers = "many"\n')
    return ["-c", str(config), "run"], nullcontext()


def drift(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    (tmp / "a.cfg").write_text(IOS)
    (tmp / "b.cfg").write_text(IOS.replace(" name STAFF", " name IMAGING"))
    return ["compare", "--platform", "ios", str(tmp / "a.cfg"), str(tmp / "b.cfg")], nullcontext()


def device_failed(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    return ["-c", str(make_site(tmp / "s", closed_port())), "check"], nullcontext()


def refused(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    return ["-c", str(make_site(tmp / "s")), "drift", "show", "999"], nullcontext()


def busy(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    config = make_site(tmp / "s")
    state = load_settings(config).state_path
    args = ["-c", str(config), "drift", "accept", "1", "--by", "M", "--reason", "r"]
    return args, site_lock(state, "a poll, held by the test")


def daemon_busy(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    config = make_site(tmp / "s", closed_port())  # a valid inventory: one device
    return ["-c", str(config), "daemon"], DaemonLock(load_settings(config).state_path, "codes")


def operational(tmp: Path) -> tuple[list[str], AbstractContextManager[object]]:
    config = make_site(tmp / "s")
    (tmp / "s" / "state" / "prisme-drift.sqlite").write_bytes(b"not a database\n" * 64)
    return ["-c", str(config), "drift", "list"], nullcontext()


@pytest.mark.parametrize(
    ("case", "code", "said"),
    [
        pytest.param(ok, 0, "", id="0-success"),
        pytest.param(usage, 2, "[collect.workers]", id="2-usage"),
        pytest.param(drift, 3, "", id="3-drift"),
        pytest.param(device_failed, 4, "1 failed", id="4-device-failed"),
        pytest.param(refused, 5, "refused: no drift item 999", id="5-refused"),
        pytest.param(busy, 6, "busy: ", id="6-busy-site"),
        pytest.param(daemon_busy, 6, "already running", id="6-busy-daemon"),
        pytest.param(operational, 7, "error: ", id="7-operational"),
    ],
)
def test_exit_code_table(tmp_path: Path, case: Case, code: int, said: str) -> None:
    args, held = case(tmp_path)
    with held:
        result = entry_point(*args)
    assert result.returncode == code, result.stdout + result.stderr
    assert said in result.stdout + result.stderr
    assert "Traceback" not in result.stderr  # a traceback is for exit 1 (a bug) only


# --------------------------------------------------------------------------- docs/cli.md


def commands(group: click.Group = cli_group, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every leaf command as ("ticket close", its help); through click's own listing, which
    imports each command's module (they are imported when used: ``cli/lazy.py``)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from commands(command, path + " ")
        else:
            yield path, command.help or ""


def test_every_command_has_help() -> None:
    found = dict(commands())
    assert len(found) >= 25
    assert [path for path, text in found.items() if not text.strip()] == []
    assert "authorizes anything" in found["ticket close"] + found["ticket cancel"]


def test_every_command_has_a_line_in_docs_cli() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `prisme-drift ([a-z ]+?)(?: [A-Z\[<-].*?)?` \|", doc, re.M))
    found = dict(commands())
    assert sorted(set(found) - documented) == []
    assert sorted(documented - set(found)) == []


def test_docs_cli_has_the_exit_code_table() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3", "4", "5", "6", "7"):
        assert re.search(rf"^\| {code} \| ", doc, re.M), code
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/cli.md" in readme.split("### Exit codes", 1)[1].split("###", 1)[0]
