"""Offline commands that need no site: compare, normalize."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from prisme_drift.cli.app import EXIT_DRIFT, EXIT_OK, cli

profiles_option = click.option(
    "--profiles",
    "profiles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of extra platform profiles (a site's profiles/), to try one before it is used.",
)


def _use_profiles(folder: Path | None) -> None:
    if folder is not None:
        from prisme_drift.profiles import use_site_profiles

        use_site_profiles(folder)


#: Control characters a device may put in its configuration (an escape sequence recolours or
#: clears a terminal): printed as ``\x1b``, never sent to the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def shown(line: str) -> str:
    """A line as ``compare`` prints it: control characters escaped, tabs expanded."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line).expandtabs(8)


def compare_lines(result: dict[str, Any]) -> Iterator[str]:
    """``compare``'s text output: each hunk's category and section, its removed and added
    lines, then the remediation. Printed through click, not rich (rich costs 60 ms of a start,
    read ``:name:`` as an emoji and folded lines past 160 columns)."""
    for hunk in result["hunks"]:
        yield f"[{hunk['category']}] {' > '.join(hunk['path']) or '(top level)'}"
        yield from (f"  - {line}" for line in hunk["removed"])
        yield from (f"  + {line}" for line in hunk["added"])
    if result["remediation"]:
        yield "remediation:"
        yield from (f"  {line}" for line in result["remediation"])


# -- offline tools ------------------------------------------------------------------------------
@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("running", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@profiles_option
def compare(
    platform: str, baseline: Path, running: Path, as_json: bool, profiles: Path | None
) -> None:
    """Compare two configuration files offline; exit 0 equivalent, 3 different."""
    from prisme_drift.offline import compare_files

    _use_profiles(profiles)
    result = compare_files(platform, baseline, running)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        printed = "".join(f"{shown(line)}\n" for line in compare_lines(result))
        click.echo(printed, nl=False)
    raise click.exceptions.Exit(EXIT_DRIFT if result["hunks"] else EXIT_OK)


@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@profiles_option
def normalize(platform: str, file: Path, profiles: Path | None) -> None:
    """Print what would be stored for a configuration file (secrets fingerprinted)."""
    from prisme_drift.offline import normalize_file

    _use_profiles(profiles)
    click.echo(normalize_file(platform, file), nl=False)
