"""``compare``'s text output, printed through click since rich left it (start-up time): the same
text rich printed for every platform fixture, and device text that cannot drive a terminal."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from prisme_drift.cli.offline import compare_lines, shown
from prisme_drift.offline import compare_files

PLATFORMS = Path(__file__).resolve().parent / "platforms"
#: Every recorded change of every platform fixture: (platform, configuration before, after).
CHANGES = sorted(
    (after.parents[3].name, after.parents[2] / "raw.txt", after)
    for after in PLATFORMS.glob("*/*/changes/*/after.txt")
)


def rich_printed(result: dict[str, Any], width: int = 160) -> str:
    """What ``compare`` printed through rich before (the CLI's ``out`` console, piped: 160
    columns; rich folded longer lines, the rest of a line printed without its ``+``/``-``)."""
    buffer = io.StringIO()
    out = Console(file=buffer, highlight=False, markup=False, width=width)
    for hunk in result["hunks"]:
        out.print(f"[{hunk['category']}] {' > '.join(hunk['path']) or '(top level)'}", markup=False)
        for line in hunk["removed"]:
            out.print(f"  - {line}", markup=False)
        for line in hunk["added"]:
            out.print(f"  + {line}", markup=False)
    if result["remediation"]:
        out.print("remediation:")
        for line in result["remediation"]:
            out.print(f"  {line}", markup=False)
    return buffer.getvalue()


def printed(result: dict[str, Any]) -> str:
    return "".join(f"{shown(line)}\n" for line in compare_lines(result))


def compare(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prisme_drift", "compare", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_there_are_fixture_changes_of_every_platform() -> None:
    assert len(CHANGES) > 100
    assert {platform for platform, _, _ in CHANGES} == {p.name for p in PLATFORMS.glob("*/")} - {
        "__pycache__"
    }


@pytest.mark.parametrize(
    ("platform", "before", "after"),
    CHANGES,
    ids=[str(c[2].parent.relative_to(PLATFORMS)) for c in CHANGES],
)
def test_compare_prints_what_rich_printed_without_folding_long_lines(
    platform: str, before: Path, after: Path
) -> None:
    result = compare_files(platform, before, after)
    assert result["hunks"]  # a recorded change is a difference
    assert printed(result) == rich_printed(result, width=100_000)
    if max(map(len, compare_lines(result))) <= 160:
        assert printed(result) == rich_printed(result)


def test_a_long_line_keeps_its_sign() -> None:
    """A RouterOS line of 200 columns: rich printed its end on a line of its own, unsigned."""
    folder = PLATFORMS / "mikrotik_routeros" / "clinic-router"
    result = compare_files(
        "mikrotik_routeros", folder / "raw.txt", folder / "changes" / "dstnat-added" / "after.txt"
    )
    lines = printed(result).splitlines()
    assert max(map(len, lines)) > 160
    signs = ("[", "  - ", "  + ", "remediation:", "  ")
    assert [line for line in lines if not line.startswith(signs)] == []
    hunk_lines = [line for line in lines[: lines.index("remediation:")] if not line.startswith("[")]
    assert all(line.startswith(("  - ", "  + ")) for line in hunk_lines)


def test_the_command_prints_the_hunks_and_remediation(tmp_path: Path) -> None:
    folder = PLATFORMS / "ios" / "clinic-switch"
    before, after = folder / "raw.txt", folder / "changes" / "trunk-vlan-added" / "after.txt"
    done = compare("--platform", "ios", before, after, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout == rich_printed(compare_files("ios", before, after))
    assert "remediation:\n" in done.stdout


def test_device_text_is_printed_as_it_is_and_cannot_drive_the_terminal(tmp_path: Path) -> None:
    before = "hostname sw\n!\ninterface Gi1\n description a\n!\nend\n"
    long = "x" * 200
    text = "description b \x1b[2J\x1b[31mred\x07 :warning: " + long
    (tmp_path / "a.cfg").write_text(before, encoding="utf-8")
    (tmp_path / "b.cfg").write_text(before.replace("description a", text), encoding="utf-8")
    done = compare("--platform", "ios", "a.cfg", "b.cfg", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout  # nothing for the terminal
    assert f"  + description b \\x1b[2J\\x1b[31mred\\x07 :warning: {long}\n" in done.stdout
