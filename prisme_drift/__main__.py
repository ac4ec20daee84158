"""``python -m prisme_drift`` is the same as the ``prisme-drift`` command."""

from prisme_drift.cli import main

main()
