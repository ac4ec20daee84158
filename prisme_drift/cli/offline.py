"""Offline commands that need no site: compare, normalize."""

from __future__ import annotations

import json
from pathlib import Path

import click

from prisme_drift.cli.app import EXIT_DRIFT, EXIT_OK, cli, out

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
@profiles_option
def normalize(platform: str, file: Path, profiles: Path | None) -> None:
    """Print what would be stored for a configuration file (secrets fingerprinted)."""
    from prisme_drift.offline import normalize_file

    _use_profiles(profiles)
    click.echo(normalize_file(platform, file), nl=False)
