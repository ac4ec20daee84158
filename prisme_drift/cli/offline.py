"""Offline commands that need no site: compare, normalize."""

from __future__ import annotations

import json
from pathlib import Path

import click

from prisme_drift.cli.app import EXIT_DRIFT, EXIT_OK, cli, out


# -- offline tools ------------------------------------------------------------------------------
@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("running", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def compare(platform: str, baseline: Path, running: Path, as_json: bool) -> None:
    """Compare two configuration files offline; exit 0 equivalent, 3 different."""
    from prisme_drift.offline import compare_files

    result = compare_files(platform, baseline, running)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for hunk in result["hunks"]:
            out.print(
                f"[{hunk['category']}] {' > '.join(hunk['path']) or '(top level)'}", markup=False
            )
            for line in hunk["removed"]:
                out.print(f"  - {line}", markup=False)
            for line in hunk["added"]:
                out.print(f"  + {line}", markup=False)
        if result["remediation"]:
            out.print("remediation:")
            for line in result["remediation"]:
                out.print(f"  {line}", markup=False)
    raise click.exceptions.Exit(EXIT_DRIFT if result["hunks"] else EXIT_OK)


@cli.command()
@click.option("--platform", "platform", required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def normalize(platform: str, file: Path) -> None:
    """Print what would be stored for a configuration file (secrets fingerprinted)."""
    from prisme_drift.offline import normalize_file

    click.echo(normalize_file(platform, file), nl=False)
