"""The command table: which module defines each top-level command, imported when it runs.

``prisme-drift --help`` lists every command with its one-line help from the table below and
imports none of the command modules; ``prisme-drift compare`` imports ``cli/offline.py`` only.
A command's modules are those that define it and those that add subcommands to it
(``ticket note`` lives in ``intervention.py``): all of them are imported before the command is
used. tests/test_cli_startup.py checks that each summary is the first paragraph of the
command's own help, and that ``--help`` prints what it printed with every module imported.

A new command: its module under ``prisme_drift/cli/``, its line here, its line in docs/cli.md.
"""

from __future__ import annotations

import importlib

import click

#: name -> (modules under prisme_drift.cli that define it or add to it, first paragraph of
#: its help as --help lists it)
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "audit": (("audit",), "The hash-chained audit trail."),
    "check": (
        ("daemon",),
        "Validate settings and inventory, then test each device read-only: TCP, host key, SSH "
        "login and prompt. Exit 0 if every device passes, 4 otherwise, 2 on a configuration "
        "error.",
    ),
    "compare": (
        ("offline",),
        "Compare two configuration files offline; exit 0 equivalent, 3 different.",
    ),
    "daemon": (
        ("daemon",),
        "Run the scheduler in the foreground (systemd Type=notify; see docs/deployment.md).",
    ),
    "demo": (
        ("site",),
        "The built-in lab end to end: baseline, an unauthorized VLAN change, the alert.",
    ),
    "diff": (
        ("site",),
        "Approved vs observed for one device: the git diff of the normalized files; exit 0 "
        "when they are equal, 3 when they differ (as ``compare``), 5 for an unknown device.",
    ),
    "drift": (("drift",), "List, show and accept drift items."),
    "fleet": (
        ("fleet",),
        "Copy this site to the provider's central database; read the fleet from there.",
    ),
    "hostkey": (("hostkey",), "Pinned SSH host keys of the devices (state/known_hosts)."),
    "init": (
        ("site",),
        "Create a new site folder: settings, inventory skeleton, baseline repo, state.",
    ),
    "normalize": (
        ("offline",),
        "Print what would be stored for a configuration file (secrets fingerprinted).",
    ),
    "notify": (("notify",), "Check the notification channels."),
    "outbox": (
        ("notify",),
        "Notifications waiting to be delivered (or delivered, with --all).",
    ),
    "report": (
        ("report", "report_monthly", "intervention"),
        "Write client documents (PDF and HTML): the site audit.",
    ),
    "run": (
        ("site",),
        "Poll every device once now, update the baseline and the drift items.",
    ),
    "status": (("site",), "Last poll per device, open drift, baseline heads."),
    "ticket": (
        ("ticket", "intervention"),
        "Change tickets: the written approvals that authorize changes.",
    ),
    "web": (
        ("web",),
        "The web page on the central fleet database: serve it, manage its users.",
    ),
}


def load(name: str) -> None:
    """Import the modules of command ``name`` (each registers its commands on the group)."""
    for module in COMMANDS[name][0]:
        importlib.import_module(f"prisme_drift.cli.{module}")


def load_all() -> None:
    """Import every command module (a tool that walks the whole command tree)."""
    for name in COMMANDS:
        load(name)


class LazyGroup(click.Group):
    """A click group whose commands are imported when one is used, not to list them.

    A command counts as loaded once all its modules are: another module may have registered
    it early (``fleet`` imports ``report``'s options), without the subcommands it gets from
    elsewhere (``report monthly``).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted, without importing any."""
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its modules imported first."""
        if cmd_name in COMMANDS and cmd_name not in self._loaded:
            load(cmd_name)
            self._loaded.add(cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the table's help for the commands not imported (the same
        words, shortened to the same width)."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self._loaded:
                command: click.Command | None = click.Command(name, help=COMMANDS[name][1])
            else:
                command = self.commands.get(name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])
