"""Command line: a thin layer over the pipeline, one module per area.

Exit codes are part of the interface: one table for every command, in ``cli/app.py`` and
docs/cli.md (0 ok, 1 bug, 2 usage, 3 drift, 4 device, 5 refused, 6 busy, 7 operational). A new
area adds a module here, imports it below, and a line to docs/cli.md.
"""

from prisme_drift.cli import (  # noqa: F401
    audit,
    daemon,
    drift,
    fleet,
    hostkey,
    intervention,
    notify,
    offline,
    report,
    report_monthly,
    site,
    ticket,
    web,
)
from prisme_drift.cli.app import cli, main

__all__ = ["cli", "main"]
