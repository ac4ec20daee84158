"""The command group, error handling and exit codes shared by every command module.

One exit-code table for every command (docs/cli.md says the same):

0 success (``run``: every device collected, no open unauthorized drift);
1 internal error: a bug, reported with a traceback;
2 usage or configuration error (options, settings, inventory, credentials, profiles);
3 drift: open unauthorized drift (``run``), or the two sides differ (``compare``, ``diff``);
4 a device failed or its fetch was quarantined (``run``, ``check``);
5 refused: an unknown id, or a request that fails its checks (``drift accept``, ``ticket ...``);
6 busy: another prisme-drift process holds the site's lock; try again when it is done;
7 operational: disk full, read-only file system, corrupt database or repository, missing
  state, or a service the command needs is unusable;
130 interrupted (Ctrl-C or SIGTERM): not an error of prisme-drift, nothing half-written.

Everything printed goes through ``out``/``err`` with rich markup off: data such as a device
prompt ``[admin@rb01] >`` or a settings key ``[smtp]`` is printed as it is, never read as a
style. Style a cell with ``styled()`` (a rich Text), never with markup in an f-string.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from prisme_drift import __version__
from prisme_drift.cli.lazy import LazyGroup
from prisme_drift.errors import (
    ConfigError,
    CorruptStoreError,
    DiskFullError,
    OperationalError,
    PrismeDriftError,
    ReadOnlyError,
    RefusedError,
    SiteBusyError,
    StateMissingError,
    operational_error,
)
from prisme_drift.scrub import guard_handlers, scrub

if TYPE_CHECKING:  # the settings schema loads when a command reads them, not for --help
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from prisme_drift.config import Settings

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_DRIFT, EXIT_DEVICE = 0, 1, 2, 3, 4
EXIT_REFUSED, EXIT_BUSY, EXIT_OPERATIONAL = 5, 6, 7
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("prisme_drift")


class _LazyConsole:
    """A rich Console built on first use: ``--help`` and commands that print through click
    never import rich (about a third of the CLI's start-up)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            if self._stderr:
                self._console = Console(stderr=True, highlight=False, markup=False)
            else:
                # Piped or logged output gets wide tables instead of 80 folded columns.
                width = None if sys.stdout.isatty() else 160
                self._console = Console(highlight=False, markup=False, width=width)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


def real_console(console: Console) -> Console:
    """The rich Console itself behind ``out`` or ``err``, for rich objects that hold a console
    (a progress bar, the demo)."""
    return console._get() if isinstance(console, _LazyConsole) else console


def styled(text: object, style: str) -> Text:
    """A table cell or line in a style; the text itself is never read as markup."""
    from rich.text import Text

    return Text(str(text), style=style)


def text(value: object = "") -> Text:
    """A plain rich Text (rich is imported when a command prints, not at start-up)."""
    from rich.text import Text

    return Text(str(value))


def new_table(**options: Any) -> Table:
    """A rich Table (``title``, ``title_justify``...), rich imported when a command prints."""
    from rich.table import Table

    return Table(**options)


def _setup_logging(verbose: int) -> None:
    """stderr logging; ``-vv`` adds the libraries' debug lines, minus what would carry device
    output or secrets (``scrub.LogGuard`` on the handlers, at every verbosity)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("paramiko", "netmiko", "napalm", "nornir", "asyncssh"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if verbose < 2 else level)
    guard_handlers()


class Context:
    """What every command gets: how to find the settings."""

    #: The settings the running command loaded, for error messages that name its files.
    loaded: Settings | None = None

    def __init__(self, config: str | None) -> None:
        self.config = config

    def settings(self) -> Settings:
        """The site's settings, loaded from ``-c``, the environment or the current folder."""
        from prisme_drift.config import find_config, load_settings

        Context.loaded = load_settings(find_config(self.config))
        return Context.loaded


def as_operational(exc: BaseException) -> OperationalError | None:
    """Disk full, read-only file system, corrupt store: the clear error ``exc`` stands for,
    naming the loaded site's database and state folder (``errors.operational_error``)."""
    settings = Context.loaded
    if settings is None:
        return operational_error(exc)
    from prisme_drift.recovery import translate

    return translate(exc, settings)


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
        err.print("interrupted")
        code = EXIT_INTERRUPTED
    except ConfigError as exc:
        click.echo(f"configuration error: {scrub(str(exc))}", err=True)
        code = EXIT_USAGE
    except RefusedError as exc:
        click.echo(f"refused: {scrub(str(exc))}", err=True)
        code = EXIT_REFUSED
    except SiteBusyError as exc:
        click.echo(f"busy: {scrub(str(exc))}", err=True)
        code = EXIT_BUSY
    except PrismeDriftError as exc:
        # A known failure that is not a bug (a store, a service or a device unusable).
        click.echo(f"error: {scrub(str(_clearest(exc)))}", err=True)
        code = EXIT_OPERATIONAL
    except Exception as exc:
        clear = as_operational(exc)  # last resort: disk full and the like are not bugs
        if clear is not None:
            click.echo(f"error: {scrub(str(clear))}", err=True)
            code = EXIT_OPERATIONAL
        else:
            log.exception("internal error; please report it with the lines above")
            code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _clearest(exc: PrismeDriftError) -> PrismeDriftError:
    """A vague store error caused by a full disk or a damaged file, said plainly."""
    if isinstance(exc, (DiskFullError, ReadOnlyError, CorruptStoreError, StateMissingError)):
        return exc
    return as_operational(exc) or exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
