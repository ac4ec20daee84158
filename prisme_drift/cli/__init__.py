"""Command line: a thin layer over the pipeline, one module per area.

Exit codes are part of the interface: 0 all collected and no open unauthorized drift; 3 open
unauthorized drift; 4 no open drift but a device failed or was quarantined; 2 usage or
configuration error; 1 internal error. A new area adds a module here and imports it below.
"""

from prisme_drift.cli import daemon, drift, notify, offline, report, site, ticket  # noqa: F401
from prisme_drift.cli.app import cli, main

__all__ = ["cli", "main"]
