"""Data is printed as it is: square brackets from devices and settings are not rich markup.

A RouterOS prompt ``[admin@rb01] >`` or a settings key ``[smtp]`` in a description, an error or
a ticket title used to vanish from every table. Times in the same tables follow the one
convention: the site's timezone with its offset, to the second.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.timefmt import utcnow
from tests.clirun import run_cli
from tests.conftest import LabSite

PROMPT, KEY = "[admin@rb01] >", "[smtp]"
LINE = f"description {PROMPT} {KEY}"
SITE_TIME = re.compile(r"\b20\d\d-\d\d-\d\d \d\d:\d\d:\d\d \+04:00\b")


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(config), *args)


def column(table: str, header: str) -> str:
    """The text of one column of a rich table, rows and folded lines joined by spaces."""
    lines = table.splitlines()
    head = next(i for i, line in enumerate(lines) if header in (c.strip() for c in line.split("┃")))
    bars = [i for i, ch in enumerate(lines[head]) if ch == "┃"]
    index = [c.strip() for c in lines[head].split("┃")].index(header)
    start, end = bars[index - 1] + 1, bars[index]
    pieces = []
    for line in lines[head + 2 :]:
        if not line.startswith("│"):
            break
        pieces.append(line[start:end].strip())
    return " ".join(" ".join(pieces).split())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_column_reads_folded_cells() -> None:
    table = "┃ a ┃ b    ┃\n┡━━━╇━━━━━━┩\n│ 1 │ [x]  │\n│   │ > y  │\n└───┴──────┘\n"
    assert column(table, "b") == "[x] > y" and column(table, "a") == "1"


@pytest.mark.lab
def test_brackets_survive_every_table(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    config = site.config_file
    with config.open("a", encoding="utf-8") as handle:  # a relay that is down: alerts wait
        handle.write(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {closed_port()}\nsecurity = "none"\n'
            'from = "prisme@example.net"\nto = ["it@example.net"]\ntimeout = 5\n'
        )
    assert cli(config, "run").returncode == 0
    site.device("sw01").configure(["interface GigabitEthernet1/0/2", f" {LINE}", "exit"])

    polled = cli(config, "run")
    assert polled.returncode == 3, polled.stderr
    assert LINE in column(polled.stdout, "change")

    listed = cli(config, "drift", "list")
    assert LINE in column(listed.stdout, "change")
    assert SITE_TIME.fullmatch(column(listed.stdout, "opened"))

    item = column(listed.stdout, "id")
    shown = cli(config, "drift", "show", item)
    assert re.search(r"^ +\+ +" + re.escape(LINE) + "$", shown.stdout, re.M), shown.stdout
    assert re.search(r"^opened_at +" + SITE_TIME.pattern + "$", shown.stdout, re.M)

    title = f"relay {KEY} behind {PROMPT}"
    added = cli(
        config, "ticket", "add", "CHG-9", "--title", title, "--device", "sw01",
        "--category", "interface", "--start", "2026-12-01T08:00", "--end", "2026-12-01T09:00",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert title in column(cli(config, "ticket", "list").stdout, "title")

    states = JobStateStore(site.settings.database_url, site.settings.state_path, "test-site")
    states.use_store()
    states.failed("poll", utcnow(), f"SMTP {KEY} refused; device said {PROMPT}")
    states.close()
    status = cli(config, "status").stdout
    assert f"failed x1: SMTP {KEY} refused; device said {PROMPT}" in column(status, "last result")
    assert SITE_TIME.search(column(status, "last failure"))

    outbox = cli(config, "outbox", "list").stdout
    assert f"check {KEY} host and port" in column(outbox, "last error")
    assert SITE_TIME.search(column(outbox, "created"))
