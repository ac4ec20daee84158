#!/usr/bin/env python3
"""Benchmark: how long the CLI takes to start (issues 10 and 14).

    .venv/bin/python benchmarks/cli.py [--runs 9] [--imports]

Each ``--runs`` round runs, each in a fresh interpreter and one after the other (so that a busy
machine slows them alike): ``python -c "import click"`` (the reference), ``compare``'s floor,
``prisme-drift --help``, ``prisme-drift compare`` of two 500-line IOS configurations that differ
in two places (the profile cache, ``profiles/cache.py``, in a folder of the benchmark's own and
filled by the uncounted first run), the same ``compare`` with no usable cache folder (every
start parses the profiles' YAML and validates the IOS profile, as before the cache), and
``prisme-drift status --json`` on a small site made with ``prisme-drift init``. Prints, per
command, the median and minimum wall seconds, the median CPU seconds (user + system, which a
loaded machine disturbs less), and both medians as a ratio to the reference. Goal (issue 14):
``--help`` and ``compare`` within 1.5x of ``import click``. ``compare's floor`` is
``python -c "import click, hier_config"``: what ``compare`` cannot do without, click and the
library that classifies (hier_config builds its pydantic models at import), about 3.5x
``import click`` by itself, so ``compare`` cannot reach 1.5x while it classifies with
hier_config. ``--imports`` adds, per command, the heavy libraries it imported
(``python -X importtime``).

Where ``compare``'s CPU went before the cache (issue 14, measured stage by stage in one process,
medians of 9 starts under a load average of 4-6): 40 ms interpreter, 340 ms click + PyYAML +
hier_config/pydantic (the old floor), then ours: 80 ms creating our pydantic and dataclass
classes (profiles, device state, models), 60 ms parsing the ten built-in profiles' YAML, 21 ms
validating the IOS profile, 60 ms importing rich and printing through it, 25 ms the other
imports, 25 ms normalizing, diffing and classifying. From the cache: no YAML parsed (PyYAML not
imported), no profile validated nor schema built (``defer_build``), the device-state models not
imported, no rich. What is left of ours (same measure, load average 6): 5 ms the CLI's group,
14 ms ``models``' dataclasses, 22 ms the profile model classes and the cache module, 24 ms the
normalize and classify modules, 8 ms reading the cache and finding installed packages' profiles,
34 ms the work itself (half of it compiling the profile's regular expressions). Those figures
were taken with a scan of our own for the installed packages' profiles, about 5 ms cheaper than
``importlib.metadata.entry_points()``, which is used since: it re-implemented importlib's rules
with a private attribute, for 1 % of a start.

The commands run as ``python -m prisme_drift`` with this interpreter and its environment: to
measure another tree, put it first on ``PYTHONPATH``. Run by hand on a quiet machine; no test
asserts timings (tests/test_cli_startup.py pins the imports instead).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "yaml",
    "git",
    "paramiko",
    "netmiko",
    "napalm",
    "nornir",
    "hier_config",
    "deepdiff",
    "jinja2",
    "weasyprint",
    "babel",
    "httpx",
    "rich",
)
REFERENCE = "import click"
#: What ``compare`` cannot do without: click and hier_config (which imports pydantic), before any
#: code of ours runs. PyYAML too when the profile cache is empty (the ``no cache`` row).
FLOOR = "import click, hier_config"


def config_lines(changed: bool) -> list[str]:
    """A 500-line IOS running configuration; ``changed`` alters one description, adds a VLAN."""
    lines = ["version 17.9", "hostname bench-sw", "!", "enable secret 9 $9$abcdEFGHijkl$mnop"]
    lines += ["snmp-server community S3cr3t RO", "!"]
    for vlan in range(2, 52 + (1 if changed else 0)):
        lines += [f"vlan {vlan}", f" name USERS-{vlan}", "!"]
    port = 1
    while len(lines) < 500 - 11:
        note = "moved" if changed and port == 7 else "ok"
        lines += [
            f"interface GigabitEthernet1/0/{port}",
            f" description desk {port} {note}",
            " switchport mode access",
            f" switchport access vlan {2 + port % 50}",
            " switchport port-security maximum 2",
            " switchport port-security",
            " spanning-tree portfast",
            " spanning-tree bpduguard enable",
            " storm-control broadcast level 1.00",
            " ip dhcp snooping limit rate 15",
            "!",
        ]
        port += 1
    lines += ["line vty 0 4", " transport input ssh", "!", "end"]
    return lines[:500] if len(lines) > 500 else lines + ["!"] * (500 - len(lines))


#: A command label ending so runs without the profile cache (its folder cannot be created).
NO_CACHE = "no cache"


def _env(folder: Path, label: str = "") -> dict[str, str]:
    """This environment, with byte-code caching on (in a folder of the benchmark's own), as an
    installed package has it: without it every start compiles the package again; and a profile
    cache of the benchmark's own (``profiles/cache.py``), or none for a ``NO_CACHE`` label."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env["XDG_CACHE_HOME"] = str(folder / ("a.cfg" if label.endswith(NO_CACHE) else "cache"))
    return env


def _run(argv: list[str], cwd: Path, label: str = "") -> tuple[float, float]:
    """(wall, CPU) seconds of one command; it must exit 0 or 3 (compare: the files differ)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=_env(cwd, label),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _imported(argv: list[str], cwd: Path, label: str) -> list[str]:
    """The heavy libraries ``python -X importtime`` saw imported by one command."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        cwd=cwd,
        env=_env(cwd, label),
        capture_output=True,
        text=True,
        check=False,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    return sorted({n for n in names if n in HEAVY})


def _commands(folder: Path) -> dict[str, list[str]]:
    py = [sys.executable]
    site = folder / "site"
    subprocess.run(
        [*py, "-m", "prisme_drift", "init", str(site), "--site", "bench"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for name, changed in (("a.cfg", False), ("b.cfg", True)):
        (folder / name).write_text("\n".join(config_lines(changed)) + "\n", encoding="utf-8")
    pd = [*py, "-m", "prisme_drift"]
    return {
        REFERENCE: [*py, "-c", REFERENCE],
        "compare's floor": [*py, "-c", FLOOR],
        "--help": [*pd, "--help"],
        "compare (500 lines)": [*pd, "compare", "--platform", "ios", "a.cfg", "b.cfg"],
        f"compare, {NO_CACHE}": [*pd, "compare", "--platform", "ios", "a.cfg", "b.cfg"],
        "status --json": [*pd, "-c", str(site / "prisme-drift.toml"), "status", "--json"],
    }


def main() -> int:
    """Time the commands, interleaved, and print one line each with its ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--imports", action="store_true", help="list what each command imports")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prisme-startup-") as tmp:
        folder = Path(tmp)
        commands = _commands(folder)
        walls: dict[str, list[float]] = {label: [] for label in commands}
        cpus: dict[str, list[float]] = {label: [] for label in commands}
        for label, argv in commands.items():  # once, not counted: fills the caches
            _run(argv, folder, label)
        for _ in range(opts.runs):
            for label, argv in commands.items():
                wall, cpu = _run(argv, folder, label)
                walls[label].append(wall)
                cpus[label].append(cpu)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {opts.runs} runs each")
        head = f"{'wall med':>9} {'wall min':>9} {'CPU med':>8} {'x wall':>7} {'x CPU':>6}"
        print(f"{'command':22} {head}")
        ref_wall, ref_cpu = statistics.median(walls[REFERENCE]), statistics.median(cpus[REFERENCE])
        for label in commands:
            wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
            print(
                f"{label:22} {wall:9.3f} {min(walls[label]):9.3f} {cpu:8.3f} "
                f"{wall / ref_wall:7.2f} {cpu / ref_cpu:6.2f}"
            )
            if opts.imports and label != REFERENCE:
                print(
                    f"{'':22} imports: "
                    f"{', '.join(_imported(commands[label], folder, label)) or '-'}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
