#!/usr/bin/env python3
"""Soak: hundreds of daemon poll cycles against lab devices that change at random.

    .venv/bin/python benchmarks/soak.py [--cycles 500] [--devices 5] [--change-rate 0.3]

The lab (N simulated IOS switches over SSH on 127.0.0.1) runs in its own process, so every figure
is the poller's only. Each cycle: some devices get a real change (a new interface description),
some get a no-op (the same description again), then the daemon's own poll job runs in-process
(``Daemon.jobs.run_job("poll")``: job state, writer lock, ``run_poll``, GitPython, SQLite), followed
by its outbox job. Printed at the start, after a warm-up and at the end: RSS, open file
descriptors (``/proc/self/fd``), child processes (leaked ``git cat-file`` helpers show here) and
threads; then commits on ``observed`` against cycles with a real change.

Targets (issue 6): RSS growth under 5 MB over 500 cycles, no fd, process or thread growth,
commits equal to real changes, every poll ok. Exit 0 when all hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INTERFACES = 8


def serve_lab(count: int, password: str, conn: Any) -> None:
    """Child process: serve the lab; apply changes on request and report running configs."""
    from prisme_drift_lab import Lab, LabDevice

    devices = [
        LabDevice(name=f"sw{n:02d}", platform="ios", username="admin", password=password)
        for n in range(1, count + 1)
    ]
    with Lab(devices) as lab:
        conn.send({d.name: d.port for d in lab.devices})
        while True:
            message = conn.recv()
            if message[0] == "configure":
                _, name, lines = message
                lab.device(name).configure(lines)
                conn.send(True)
            elif message[0] == "configs":
                conn.send({d.name: d.running_config() for d in lab.devices})
            else:
                return


@dataclass
class Probe:
    """One measurement of this process."""

    rss_kib: int
    fds: int
    children: int
    threads: int

    def line(self, label: str) -> str:
        return (
            f"{label:<10} rss {self.rss_kib / 1024:7.1f} MiB  fds {self.fds:3d}  "
            f"child processes {self.children}  threads {self.threads}"
        )


def probe() -> Probe:
    """RSS, open fds, live child processes and threads of this process."""
    gc.collect()
    rss = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    me = str(os.getpid())
    children = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me:
            children += 1
    fds = len(os.listdir("/proc/self/fd"))
    return Probe(rss, fds, children, threading.active_count())


def make_site(ports: dict[str, int], password: str) -> Path:
    from prisme_drift.demo import enable_credentials, write_hosts
    from prisme_drift.site import init_site

    folder = Path(tempfile.mkdtemp(prefix="prisme-soak-"))
    init_site(folder, site="soak")
    write_hosts(folder, {name: ("ios", port) for name, port in ports.items()}, password)
    toml = folder / "prisme-drift.toml"
    enable_credentials(toml, timeout=30)
    return toml


def changes(
    rng: random.Random, names: list[str], rate: float, cycle: int
) -> list[tuple[str, list[str]]]:
    """Per device, with probability ``rate``: a new description (real) or the same again (no-op)."""
    out = []
    for name in names:
        if rng.random() >= rate:
            continue
        port = rng.randint(1, INTERFACES)
        text = f"soak {cycle}" if rng.random() < 0.8 else "soak steady"
        out.append((name, [f"interface GigabitEthernet1/0/{port}", f" description {text}", "exit"]))
    return out


def commits(git_dir: Path) -> int:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-list", "--count", "observed"],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(out.stdout.strip() or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument("--change-rate", type=float, default=0.3)
    parser.add_argument("--warmup", type=int, default=10, help="cycles before the baseline probe")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--max-rss-growth-mib", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary site folder")
    args = parser.parse_args()

    password = secrets.token_urlsafe(10)
    ctx = mp.get_context("spawn")
    parent, child_conn = ctx.Pipe()
    lab = ctx.Process(target=serve_lab, args=(args.devices, password, child_conn), daemon=True)
    lab.start()
    ports: dict[str, int] = parent.recv()
    names = sorted(ports)

    from prisme_drift.config import load_settings
    from prisme_drift.daemon.sdnotify import SystemdNotifier
    from prisme_drift.daemon.supervisor import Daemon

    toml = make_site(ports, password)
    settings = load_settings(toml)
    daemon = Daemon(toml, settings, len(names), notifier=SystemdNotifier(None))
    start = probe()
    print(f"soak: {args.cycles} cycles x {args.devices} devices, site {toml.parent}")
    print(start.line("start"))

    rng = random.Random(args.seed)
    parent.send(("configs",))
    last = parent.recv()
    real_change_cycles = device_changes = noops = failed = 0
    warm: Probe | None = None
    first_commits = 0
    started = time.monotonic()
    for cycle in range(args.cycles):
        planned = changes(rng, names, args.change_rate, cycle) if cycle else []
        for name, lines in planned:
            parent.send(("configure", name, lines))
            parent.recv()
        parent.send(("configs",))
        now = parent.recv()
        changed = [n for n in names if now[n] != last[n]]
        noops += len(planned) - len(changed)
        last = now
        result = daemon.jobs.run_job("poll", "poll", None)
        daemon.jobs.run_job("outbox", "outbox", None)
        if result.outcome != "ok" or " failed" in result.note or "quarantined" in result.note:
            failed += 1
            print(f"cycle {cycle}: {result.outcome}: {result.note}")
        if cycle == 0:
            first_commits = commits(settings.baseline_path)
        elif changed:
            real_change_cycles += 1
            device_changes += len(changed)
        if cycle + 1 == args.warmup:
            warm = probe()
            print(warm.line("warm-up"))
        if (cycle + 1) % max(1, args.cycles // 10) == 0:
            print(probe().line(f"cycle {cycle + 1}"))
    end = probe()
    elapsed = time.monotonic() - started
    parent.send(("stop",))
    lab.join(10)

    made = commits(settings.baseline_path) - first_commits
    base = warm or start
    growth = (end.rss_kib - base.rss_kib) / 1024
    print(end.line("end"))
    print(
        f"cycles {args.cycles} in {elapsed:.0f}s ({elapsed / args.cycles:.2f}s each); "
        f"failed polls {failed}"
    )
    print(
        f"real changes: {device_changes} device changes in {real_change_cycles} cycles "
        f"({noops} no-op changes); commits on observed after the baseline: {made}"
    )
    print(
        f"RSS growth after warm-up {growth:+.1f} MiB "
        f"(since start {(end.rss_kib - start.rss_kib) / 1024:+.1f}); "
        f"fds {base.fds} -> {end.fds}; child processes {base.children} -> {end.children}; "
        f"threads {base.threads} -> {end.threads}"
    )
    checks = {
        f"RSS growth < {args.max_rss_growth_mib} MiB": growth < args.max_rss_growth_mib,
        "no fd growth": end.fds <= base.fds,
        "no child process growth": end.children <= base.children,
        "no thread growth": end.threads <= base.threads,
        "commits == cycles with a real change": made == real_change_cycles,
        "every poll ok": failed == 0,
    }
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if not args.keep:
        shutil.rmtree(toml.parent, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
