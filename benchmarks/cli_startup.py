#!/usr/bin/env python3
"""Benchmark: how long the CLI takes to start (issue 10: imports follow the layers).

    .venv/bin/python benchmarks/cli_startup.py [--runs 5] [--imports]

Creates a small site in a temporary folder (``prisme-drift init``), then runs, each ``--runs``
times in a fresh interpreter, ``prisme-drift --help`` and ``prisme-drift status --json`` on that
site, and prints the median, min and max wall seconds of each. ``--imports`` adds, per command,
the prisme-drift modules and the heavy libraries (SQLAlchemy, Alembic, pydantic, GitPython,
paramiko, Netmiko, NAPALM, Nornir) the command imported.

The commands run as ``python -m prisme_drift`` with this interpreter and its environment: to
measure another tree, put it first on ``PYTHONPATH``. Run by hand on a quiet machine; no test
asserts timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("sqlalchemy", "alembic", "pydantic", "git", "paramiko", "netmiko", "napalm", "nornir")


def _run(args: list[str], cwd: Path) -> float:
    """Wall seconds of one ``python -m prisme_drift ARGS``; raises if it fails."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "prisme_drift", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _imported(args: list[str], cwd: Path) -> tuple[list[str], list[str]]:
    """(prisme-drift modules, heavy libraries) that ``python -X importtime`` saw imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "prisme_drift", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    ours = sorted({n for n in names if n.startswith("prisme_drift")})
    heavy = sorted({n for n in names if n in HEAVY})
    return ours, heavy


def main() -> int:
    """Time the commands and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--imports", action="store_true", help="list what each command imports")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prisme-startup-") as tmp:
        folder = Path(tmp)
        site = folder / "site"
        subprocess.run(
            [sys.executable, "-m", "prisme_drift", "init", str(site), "--site", "bench"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        config = str(site / "prisme-drift.toml")
        commands = {
            "--help": ["--help"],
            "status --json": ["-c", config, "status", "--json"],
        }
        print(f"python {sys.version.split()[0]}, PYTHONPATH={os.environ.get('PYTHONPATH', '')!r}")
        for label, args in commands.items():
            times = [_run(args, folder) for _ in range(opts.runs)]
            print(
                f"{label:15} median {statistics.median(times):.2f} s  "
                f"(min {min(times):.2f}, max {max(times):.2f}, {opts.runs} runs)"
            )
            if opts.imports:
                ours, heavy = _imported(args, folder)
                print(f"{'':15} {len(ours)} prisme_drift modules; libraries: {', '.join(heavy)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
