#!/usr/bin/env python3
"""Benchmark: an unchanged ``run`` over N lab devices, against a bare NAPALM get_config loop.

    .venv/bin/python benchmarks/poll.py [--devices 100] [--workers 10] [--polls 1]
    .venv/bin/python benchmarks/poll.py --devices 1000 --workers 50
    .venv/bin/python benchmarks/poll.py --devices 20 --state-only
    .venv/bin/python benchmarks/poll.py --devices 100 --workers 10 --polls 2 --rounds 3

The lab (N simulated IOS switches on 127.0.0.1, one asyncssh listener per device, all in one
process) runs in its own process, so the CPU and memory figures are the client's only. Each
measured mode runs in a fresh child process, so that its peak RSS is its own:

- ``bare``: NAPALM ``get_config(retrieve="running")`` for every device, with a thread pool of
  the same size as the pipeline's workers: exactly what an unchanged poll fetches (no facts,
  no state getters on an unchanged poll; the lab counts the commands of both, printed as
  ``cmds/dev``, and they must be equal);
- ``first``: the first ``run_poll`` on a new site folder (baseline, facts, state getters);
- ``unchanged``: ``--polls`` more ``run_poll`` on the same folder, in a new process (Nornir,
  host keys, fetch guard, normalization, git, classification, database, state planning).

CPU is user + system of the process and its git children, counted around the measured work
(imports excluded, on both sides). Prints wall time, devices per second, CPU, CPU per device,
peak RSS, commands per device and the unchanged/bare ratios, then the issue-14 goals.
CPU per device is flat when the figure at 1,000 devices is within 1.2x of the one at 20.
``--rounds N`` measures ``bare`` and ``unchanged`` alternately N times (each in a fresh
process) and prints the medians: on a machine shared with other jobs one pair of runs can
differ by a third either way (netmiko's read loops poll, so a slower machine also costs CPU).

With ``--state`` (or ``--state-only``): the structured state's cost, counted on the lab side:
commands typed per device on a first poll (configuration + facts + state getters), on an
unchanged poll (the configuration's alone) and with ``run --state`` (getters forced).

Figures on the 2-core machine of 2026-12-03 (shared with other jobs, load average 1-5), one
run each, the lab on the same two cores:

    benchmarks/poll.py --devices 100 --workers 10 --polls 2
    mode         wall s   dev/s   CPU s  CPU ms/dev  peak RSS MiB  cmds/dev
    bare           3.86    25.9    1.41        14.1            76       4.0
    first         21.22     4.7    9.74        97.4           146      18.0
    unchanged      4.72    21.2    2.34        23.4           141       4.0
    unchanged/bare: wall x1.22, CPU x1.66, RSS x1.86

    benchmarks/poll.py --devices 1000 --workers 50 --polls 2
    bare          28.19    35.5   17.82        17.8           100       3.6
    first        188.64     5.3  149.81       149.8           225      17.8
    unchanged     30.02    33.3   24.19        24.2           196       3.9
    unchanged/bare: wall x1.07, CPU x1.36, RSS x1.96

    benchmarks/poll.py --devices 20 --workers 10 --polls 2
    bare           0.80    24.9    0.27        13.5            74       4.0
    unchanged      0.95    21.0    0.41        20.4           135       4.0

Second pass (one watchdog thread per process instead of a Timer per session; each inventory
file parsed once with libyaml and handed to Nornir as data), same command, main then branch
alternately, two rounds (load average 1.3-1.6):

    unchanged CPU s 2.93 / 2.11 (main), 2.22 / 2.03 (branch); bare 1.34-1.79 in all four runs
    unchanged/bare CPU: main x1.76, x1.58; branch x1.24, x1.33

Third pass (Nornir built without its entry-point scans, the NAPALM driver class looked up once,
the outage events read in one query, one baseline repository per poll and its branch tips read
once), ``--rounds 3``, load average 10-13: unchanged/bare CPU x1.21, x1.35, x1.39 in three runs;
x1.55 for the code before it, same command and conditions.

Fourth pass (a raw configuration seen before is not normalized again: ``state/raw-digests.json``
keeps its keyed digest and the blob it normalized to, see ``poll/normalized.py``; the imports'
objects frozen out of the cyclic collector once per process, ``gc.freeze``, and its youngest
generation collected every 5,000 new objects instead of 700). Measured first with per-phase CPU
counters around one process's polls 2-4 (100 devices): normalization in the workers 0.14 s ->
0.013 s (the digests), garbage collection 0.087 s -> 0.022 s per poll (its full collections
walked ~190,000 long-lived objects); at 1,000 devices 1.15 s -> 0.65 s of collections per poll.
Then ``--rounds 3``, this code and the code before it (main at 4e82fe6, run from
``git archive``) one after the other, before the generation threshold:

    load average 0.9-1.3   this pass:   unchanged 4.08 s wall, 1.38 s CPU; x1.08 wall, x1.01 CPU
    load average 1.3-4.0   before it:   unchanged 4.24 s wall, 1.68 s CPU; x1.06 wall, x1.27 CPU
    load average 2.2-3.8   this pass:   unchanged 3.97 s wall, 1.50 s CPU; x1.03 wall, x1.10 CPU
    load average 2-12, --devices 1000 --workers 50 --polls 2: unchanged 18.6 s wall, 16.9 ms
    CPU per device, 192 MiB, x1.46 CPU of that run's bare 11.6 ms; --devices 20: 16.1 ms

and with it (the final code of the pass):

    load average 1.6-3.5   unchanged 4.12 s wall, 1.74 s CPU; x1.06 wall, x1.12 CPU
    --devices 1000 --workers 50 --polls 2, load average 1.6-4.5:
    bare          16.94    59.0   16.41        16.4           101       4.0
    unchanged     20.72    48.3   20.24        20.2           194       4.0
    unchanged/bare: wall x1.22, CPU x1.23, RSS x1.92
    --devices 20 --rounds 3 right after: unchanged 24.0 ms CPU per device (bare 20.0)

Bare CPU per round ranged 1.06-1.64 s at 100 devices in those runs, and 11.6-16.4 ms per
device at 1,000 (the machine's noise, as ever: compare figures of one run, not of two). What an
unchanged poll still adds (counters, 100 devices): git reads ~0.04 s (six ``git`` processes
per poll), the inventory's YAML ~0.02 s, the SQLAlchemy flush ~0.02 s, the guard and the
judgement ~0.015 s, the writer's recovery check ~0.01 s; Nornir, host keys and sockets ~0.05 s
in the workers.

CPU per device of an unchanged poll before the fourth pass: 20.4 ms (20 devices), 23.4 (100),
24.2 (1,000): x1.19 from 20 to 1,000. Before issue 14 (same machine, 100 devices): unchanged
poll 14.81 s wall, about 110 ms CPU per device, 7 commands per device (facts at every poll).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def raise_fd_limit() -> None:
    """As many file descriptors as allowed: 1,000 devices are 1,000 listeners and sessions."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve_lab(count: int, password: str, conn: Any) -> None:
    """Child process: run the lab until told to stop; send the device ports first."""
    raise_fd_limit()
    from prisme_drift_lab import Lab, LabDevice

    devices = [
        LabDevice(name=f"sw{n:04d}", platform="ios", username="admin", password=password)
        for n in range(count)
    ]
    with Lab(devices) as lab:
        conn.send({d.name: d.port for d in lab.devices})
        while conn.recv() == "commands":  # anything else: stop
            conn.send({d.name: len(d.commands()) for d in lab.devices})


def typed(lab: Any) -> int:
    """Commands typed on every lab device so far, in total."""
    lab.send("commands")
    return sum(lab.recv().values())


def cpu_now() -> float:
    """CPU seconds (user + system) of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mib() -> int:
    """This process's own peak RSS (``VmHWM``: ``ru_maxrss`` survives exec on Linux, and
    would report the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def bare(ports: dict[str, int], password: str, workers: int) -> dict[str, Any]:
    from napalm import get_network_driver

    driver = get_network_driver("ios")

    def one(port: int) -> int:
        device = driver(
            hostname="127.0.0.1", username="admin", password=password, optional_args={"port": port}
        )
        device.open()
        try:
            return len(device.get_config(retrieve="running")["running"])
        finally:
            device.close()

    cpu = cpu_now()
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        sizes = list(pool.map(one, ports.values()))
    return {
        "wall_s": time.monotonic() - started,
        "cpu_s": cpu_now() - cpu,
        "peak_rss_mib": peak_rss_mib(),
        "statuses": {"ok": sum(1 for s in sizes if s > 0)},
    }


def pipeline(folder: Path, polls: int) -> dict[str, Any]:
    from prisme_drift.config import load_settings
    from prisme_drift.poll import run_poll

    settings = load_settings(folder / "prisme-drift.toml")
    walls, cpus = [], []
    statuses: dict[str, int] = {}
    for _ in range(polls):
        cpu = cpu_now()
        started = time.monotonic()
        report = run_poll(settings, deliver=False)
        walls.append(time.monotonic() - started)
        cpus.append(cpu_now() - cpu)
        for d in report.devices:
            statuses[str(d.status)] = statuses.get(str(d.status), 0) + 1
    return {
        "wall_s": min(walls),
        "cpu_s": min(cpus),
        "walls_s": walls,
        "peak_rss_mib": peak_rss_mib(),
        "statuses": statuses,
    }


def make_site(ports: dict[str, int], password: str, workers: int) -> Path:
    from prisme_drift.demo import enable_credentials, write_hosts
    from prisme_drift.site import init_site

    folder = Path(tempfile.mkdtemp(prefix="prisme-bench-"))
    init_site(folder, site="bench")
    write_hosts(folder, {name: ("ios", port) for name, port in ports.items()}, password)
    enable_credentials(folder / "prisme-drift.toml", timeout=300, workers=workers)
    return folder


#: Commands only the NAPALM ios state getters type (the configuration poll never does).
GETTER_COMMANDS = {
    "show interfaces",
    "show ip interface",
    "show ipv6 interface",
    "show vlan all-ports",
    "show lldp neighbors detail",
}


def state_cost(count: int, password: str, workers: int) -> None:
    """Commands per device and wall time: first poll, unchanged poll, ``run --state`` poll.

    Runs its own lab (it needs every command, not counts)."""
    from prisme_drift_lab import Lab, LabDevice

    from prisme_drift.config import load_settings
    from prisme_drift.poll import run_poll

    devices = [
        LabDevice(name=f"st{n:04d}", platform="ios", username="admin", password=password)
        for n in range(count)
    ]
    with Lab(devices) as lab:
        folder = make_site({d.name: d.port for d in lab.devices}, password, workers)
        settings = load_settings(folder / "prisme-drift.toml")
        n = len(devices)
        print(f"structured state cost, {n} IOS devices (commands counted by the lab):")
        print(f"{'poll':22} {'wall s':>8} {'cmds/dev':>9} {'getter cmds/dev':>16}")
        for label, force in (
            ("first (baseline)", False),
            ("unchanged", False),
            ("run --state", True),
        ):
            before = {d.name: len(d.commands()) for d in lab.devices}
            started = time.monotonic()
            run_poll(settings, deliver=False, state=force)
            wall = time.monotonic() - started
            new = [c for d in lab.devices for c in d.commands()[before[d.name] :]]
            getters = sum(1 for c in new if c in GETTER_COMMANDS)
            print(f"{label:22} {wall:8.2f} {len(new) / n:9.1f} {getters / n:16.1f}")


def child(spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(spec),
        text=True,
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{spec['mode']} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_child() -> None:
    raise_fd_limit()
    spec = json.loads(sys.stdin.read())
    logging.basicConfig(level=logging.ERROR)
    if spec["mode"] == "bare":
        result = bare(spec["ports"], spec["password"], spec["workers"])
    else:
        result = pipeline(Path(spec["folder"]), spec["polls"])
    print(json.dumps(result))


def measure(lab: Any, n: int, spec: dict[str, Any]) -> dict[str, Any]:
    before = typed(lab)
    result = child(spec)
    result["mode"] = spec["mode"]
    result["cmds_per_dev"] = (typed(lab) - before) / n / spec.get("polls", 1)
    return result


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's rounds as one result: median wall, CPU and RSS; every round's CPU kept."""
    result = dict(runs[0])
    for key in ("wall_s", "cpu_s", "peak_rss_mib", "cmds_per_dev"):
        result[key] = statistics.median(r[key] for r in runs)
    result["peak_rss_mib"] = int(result["peak_rss_mib"])
    result["cpus_s"] = [r["cpu_s"] for r in runs]
    result["walls_s"] = [w for r in runs for w in r.get("walls_s", [r["wall_s"]])]
    return result


def print_results(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    n = args.devices
    print(f"devices: {n}  workers: {args.workers}  (lab in a separate process)")
    header = f"{'mode':10} {'wall s':>8} {'dev/s':>7} {'CPU s':>7} {'CPU ms/dev':>11}"
    print(header + f" {'peak RSS MiB':>13} {'cmds/dev':>9}  statuses")
    for r in results:
        print(
            f"{r['mode']:10} {r['wall_s']:8.2f} {n / r['wall_s']:7.1f} {r['cpu_s']:7.2f} "
            f"{1000 * r['cpu_s'] / n:11.1f} {r['peak_rss_mib']:13d} {r['cmds_per_dev']:9.1f}"
            f"  {r['statuses']}"
        )
    b, u = results[0], results[-1]
    wall, cpu = u["wall_s"] / b["wall_s"], u["cpu_s"] / b["cpu_s"]
    print(
        f"unchanged/bare: wall x{wall:.2f}, CPU x{cpu:.2f}, "
        f"RSS x{u['peak_rss_mib'] / b['peak_rss_mib']:.2f} "
        f"(unchanged: best of {args.polls} poll(s), walls "
        + ", ".join(f"{w:.2f}" for w in u["walls_s"])
        + ")"
    )
    if args.rounds > 1:
        print(
            f"medians of {args.rounds} alternate rounds; CPU s per round: bare "
            + ", ".join(f"{c:.2f}" for c in b["cpus_s"])
            + "; unchanged "
            + ", ".join(f"{c:.2f}" for c in u["cpus_s"])
        )
    print("goals (issue 14):")
    print(f"  unchanged <= 1.2x bare (wall, CPU; at 100 devices): x{wall:.2f}, x{cpu:.2f}")
    print(
        f"  1,000 devices, 50 workers: unchanged < 60 s wall ({u['wall_s']:.1f} s), "
        f"peak RSS < 250 MiB ({u['peak_rss_mib']} MiB)"
    )
    print(
        f"  flat CPU per device: compare {1000 * u['cpu_s'] / n:.1f} ms/dev here with the "
        "figure of --devices 20 (within 1.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--polls", type=int, default=1, help="unchanged polls (best is shown)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="bare and unchanged measured alternately this many times (medians are shown)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--state", action="store_true", help="also the structured state's cost")
    parser.add_argument(
        "--state-only", action="store_true", help="only measure the structured state's cost"
    )
    args = parser.parse_args()
    if args.child:
        run_child()
        return
    raise_fd_limit()
    logging.basicConfig(level=logging.ERROR)
    password = secrets.token_urlsafe(10)
    if args.state_only:
        state_cost(args.devices, password, args.workers)
        return
    parent, child_conn = mp.Pipe()
    lab = mp.Process(target=serve_lab, args=(args.devices, password, child_conn), daemon=True)
    lab.start()
    ports = parent.recv()
    n = args.devices
    try:
        folder = make_site(ports, password, args.workers)
        base = {"ports": ports, "password": password, "workers": args.workers}
        first = measure(parent, n, {"mode": "first", "folder": str(folder), "polls": 1})
        spec = {"mode": "unchanged", "folder": str(folder), "polls": args.polls}
        bares, unchanged = [], []
        for _ in range(args.rounds):  # alternately: a busy machine slows both sides alike
            bares.append(measure(parent, n, {**base, "mode": "bare"}))
            unchanged.append(measure(parent, n, spec))
        results = [median_run(bares), first, median_run(unchanged)]
    finally:
        parent.send("stop")
        lab.join(30)
    print_results(args, results)
    if args.state:
        state_cost(args.devices, password, args.workers)


if __name__ == "__main__":
    main()
