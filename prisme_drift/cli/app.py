"""The command group, error handling and exit codes shared by every command module.

0 all collected and no open unauthorized drift; 3 open unauthorized drift; 4 no open drift but a
device failed or was quarantined; 2 usage or configuration error; 1 internal error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from prisme_drift import __version__
from prisme_drift.config import Settings, find_config, load_settings
from prisme_drift.errors import ConfigError, PrismeDriftError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_DRIFT, EXIT_DEVICE = 0, 1, 2, 3, 4

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("prisme_drift")
# Piped or logged output gets wide tables instead of 80 folded columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("paramiko", "netmiko", "napalm", "nornir", "asyncssh"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if verbose < 2 else level)


class Context:
    """What every command gets: how to find the settings."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    def settings(self) -> Settings:
        return load_settings(find_config(self.config))


pass_ctx = click.make_pass_decorator(Context)


def main() -> None:
    """Entry point: runs the CLI and turns errors into exit codes and clear messages."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except click.exceptions.Abort:
        err.print("aborted")
        code = EXIT_INTERNAL
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        code = EXIT_USAGE
    except PrismeDriftError as exc:
        click.echo(f"error: {exc}", err=True)
        code = EXIT_INTERNAL
    except Exception:
        log.exception("internal error; please report it with the lines above")
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config",
    metavar="PATH",
    envvar=None,
    help="Settings file (default: $PRISME_DRIFT_CONFIG, then ./prisme-drift.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for library debug).")
@click.version_option(__version__, prog_name="prisme-drift")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """prisme-drift: network configuration drift, reconciled with approved change tickets."""
    _setup_logging(verbose)
    ctx.obj = Context(config)
