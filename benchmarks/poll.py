#!/usr/bin/env python3
"""Benchmark: one full ``run`` over N lab devices, against a bare NAPALM get_config loop.

    .venv/bin/python benchmarks/poll.py [--devices 100] [--workers 10] [--polls 2]

The lab (N simulated IOS switches on 127.0.0.1) runs in its own process, so the CPU and memory
figures are the client's only. Each measured mode also runs in a fresh child process, so that its
peak RSS is its own:

- ``bare``: NAPALM ``get_config(retrieve="running")`` for every device, with a thread pool of the
  same size as the pipeline's workers (the least any poller has to do);
- ``pipeline``: ``run_poll`` on a site folder (Nornir, fetch guard, facts, normalization, git,
  classification, database), first poll (baseline) and then ``--polls - 1`` unchanged polls.

Prints wall time, devices per second, CPU seconds, peak RSS, and the pipeline/bare ratios.

Then the cost of the structured state (``--state-only`` runs just this part), counted on the
lab side: commands typed per device on a first poll (configuration + state getters), on an
unchanged poll (must be the configuration's alone: zero getter command) and on a poll with
``run --state`` (getters forced), with the wall time of each.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve_lab(count: int, password: str, conn: Any) -> None:
    """Child process: run the lab until told to stop; send the device ports first."""
    from prisme_drift_lab import Lab, LabDevice

    devices = [
        LabDevice(name=f"sw{n:03d}", platform="ios", username="admin", password=password)
        for n in range(count)
    ]
    with Lab(devices) as lab:
        conn.send({d.name: d.port for d in lab.devices})
        while conn.recv() == "commands":  # anything else: stop
            conn.send({d.name: d.commands() for d in lab.devices})


def usage() -> tuple[float, int]:
    """CPU seconds (user + system) and peak RSS in MiB of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, int(ru.ru_maxrss / 1024)


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

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        sizes = list(pool.map(one, ports.values()))
    wall = time.monotonic() - started
    cpu, rss = usage()
    return {
        "mode": "bare",
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "ok": sum(1 for s in sizes if s > 0),
    }


def pipeline(ports: dict[str, int], password: str, workers: int, polls: int) -> dict[str, Any]:
    from prisme_drift.config import load_settings
    from prisme_drift.demo import enable_credentials, write_hosts
    from prisme_drift.poll import run_poll
    from prisme_drift.site import init_site

    folder = Path(tempfile.mkdtemp(prefix="prisme-bench-"))
    init_site(folder, site="bench")
    write_hosts(folder, {name: ("ios", port) for name, port in ports.items()}, password)
    toml = folder / "prisme-drift.toml"
    enable_credentials(toml, timeout=120, workers=workers)
    settings = load_settings(toml)
    walls = []
    statuses: dict[str, int] = {}
    for _ in range(polls):
        started = time.monotonic()
        report = run_poll(settings)
        walls.append(time.monotonic() - started)
        for d in report.devices:
            statuses[str(d.status)] = statuses.get(str(d.status), 0) + 1
    cpu, rss = usage()
    return {
        "mode": "pipeline",
        "wall_s": walls[0],
        "later_walls_s": walls[1:],
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "statuses": statuses,
    }


#: Commands only the NAPALM ios state getters type (the configuration poll never does).
GETTER_COMMANDS = {
    "show interfaces",
    "show ip interface",
    "show ipv6 interface",
    "show vlan all-ports",
    "show lldp neighbors detail",
}


def state_cost(lab: Any, ports: dict[str, int], password: str, workers: int) -> None:
    """Commands per device and wall time: first poll, unchanged poll, ``run --state`` poll."""
    from prisme_drift.config import load_settings
    from prisme_drift.demo import enable_credentials, write_hosts
    from prisme_drift.poll import run_poll
    from prisme_drift.site import init_site

    folder = Path(tempfile.mkdtemp(prefix="prisme-bench-state-"))
    init_site(folder, site="bench")
    write_hosts(folder, {name: ("ios", port) for name, port in ports.items()}, password)
    enable_credentials(folder / "prisme-drift.toml", timeout=120, workers=workers)
    settings = load_settings(folder / "prisme-drift.toml")
    n = len(ports)
    print(f"structured state cost, {n} IOS devices (commands counted by the lab):")
    print(f"{'poll':22} {'wall s':>8} {'cmds/dev':>9} {'getter cmds/dev':>16}")
    for label, force in (("first (baseline)", False), ("unchanged", False), ("run --state", True)):
        lab.send("commands")
        before = lab.recv()
        started = time.monotonic()
        run_poll(settings, deliver=False, state=force)
        wall = time.monotonic() - started
        lab.send("commands")
        after = lab.recv()
        typed = [c for name in after for c in after[name][len(before[name]) :]]
        getters = sum(1 for c in typed if c in GETTER_COMMANDS)
        print(f"{label:22} {wall:8.2f} {len(typed) / n:9.1f} {getters / n:16.1f}")


def child(
    mode: str, args: argparse.Namespace, ports: dict[str, int], password: str
) -> dict[str, Any]:
    payload = json.dumps(
        {
            "mode": mode,
            "ports": ports,
            "password": password,
            "workers": args.workers,
            "polls": args.polls,
        }
    )
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=payload,
        text=True,
        capture_output=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_child() -> None:
    spec = json.loads(sys.stdin.read())
    import logging

    logging.basicConfig(level=logging.ERROR)
    if spec["mode"] == "bare":
        result = bare(spec["ports"], spec["password"], spec["workers"])
    else:
        result = pipeline(spec["ports"], spec["password"], spec["workers"], spec["polls"])
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--polls", type=int, default=2, help="pipeline polls (first = baseline)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--state-only", action="store_true", help="only measure the structured state's cost"
    )
    args = parser.parse_args()
    if args.child:
        run_child()
        return
    password = secrets.token_urlsafe(10)
    parent, child_conn = mp.Pipe()
    lab = mp.Process(target=serve_lab, args=(args.devices, password, child_conn), daemon=True)
    lab.start()
    ports = parent.recv()
    try:
        if args.state_only:
            logging.basicConfig(level=logging.ERROR)
            state_cost(parent, ports, password, args.workers)
            return
        results = [child("bare", args, ports, password), child("pipeline", args, ports, password)]
        state_cost(parent, ports, password, args.workers)
    finally:
        parent.send("stop")
        lab.join(10)
    n = args.devices
    print(f"devices: {n}  workers: {args.workers}  (lab in a separate process)")
    print(f"{'mode':10} {'wall s':>8} {'dev/s':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
    for r in results:
        print(
            f"{r['mode']:10} {r['wall_s']:8.2f} {n / r['wall_s']:8.1f} {r['cpu_s']:8.2f} "
            f"{r['peak_rss_mib']:13d}"
        )
    b, p = results
    print(
        f"pipeline/bare: wall x{p['wall_s'] / b['wall_s']:.2f}, CPU x{p['cpu_s'] / b['cpu_s']:.2f}"
        f" (pipeline CPU covers all {args.polls} polls),"
        f" RSS x{p['peak_rss_mib'] / b['peak_rss_mib']:.2f}"
    )
    print(f"bare fetched {b['ok']}/{n}; pipeline statuses, {args.polls} polls: {p['statuses']}")
    if p["later_walls_s"]:
        print(
            "later (unchanged) polls, wall s: " + ", ".join(f"{w:.2f}" for w in p["later_walls_s"])
        )


if __name__ == "__main__":
    main()
