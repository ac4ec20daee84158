#!/usr/bin/env python3
"""Benchmark: the post-collection cost of one very large configuration (issue 14, issue 9 #23).

    .venv/bin/python benchmarks/large_config.py [--mb 20] [--changed 0.01] [--profile out.prof]

Generates an IOS configuration of about ``--mb`` megabytes (thousands of interfaces, VLANs,
long extended ACLs, static routes, a duplicated interface section and a repeated ACL name, as
real concatenated or hand-edited configurations have), and a second fetch of the same device in
which ``--changed`` of the interfaces and of the ACLs changed (one line each). Both go through
what a poll does after collection, stage by stage:

- ``guard``: the fetch guard (``check_fetch``) on the changed fetch;
- ``normalize``: secrets, noise, canonical form of the changed fetch (the approved one is the
  stored baseline, normalized beforehand and not counted);
- ``diff``: ``diff_snapshots`` approved -> observed (parse both, hunks, categories);
- ``remediation``: the device's remediation lines, then each hunk's share (``remediation_for``);
- ``approve``: ``apply_hunks`` of every hunk (approved moves forward), checked against observed.

Prints, per stage, the input size and lines, wall and CPU seconds (CPU: the sampling thread
included; a loaded machine stretches wall time, much less CPU time) and the peak RSS seen during
the stage (sampled every 2 ms from /proc), then the total. Goal (issue 14): under 10 s and
under 400 MB on a 2-core machine for 20 MB. Run by hand; no test asserts timings.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = 4096


def rss_mib() -> float:
    """Resident set size of this process, in MiB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


class PeakSampler:
    """A thread that samples RSS; ``reset`` starts a new stage, ``peak`` is its maximum."""

    def __init__(self, every: float = 0.002) -> None:
        self._every = every
        self._peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._peak = max(self._peak, rss_mib())

    def reset(self) -> None:
        self._peak = rss_mib()

    def peak(self) -> float:
        return max(self._peak, rss_mib())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- the generated device ---------------------------------------------------------------------


def _interface(unit: int, port: int, vlan: int, note: str) -> list[str]:
    return [
        f"interface GigabitEthernet{unit}/0/{port}",
        f" description poste {unit}-{port} {note}",
        " switchport mode access",
        f" switchport access vlan {vlan}",
        " switchport port-security maximum 2",
        " switchport port-security",
        " spanning-tree portfast",
        " spanning-tree bpduguard enable",
        " storm-control broadcast level 1.00",
        " ip dhcp snooping limit rate 15",
        "!",
    ]


def _acl(name: int, entries: int, rng: random.Random, changed: float) -> list[str]:
    lines = [f"ip access-list extended ACL-{name:04d}"]
    touched = rng.randrange(entries) if rng.random() < changed else -1
    for entry in range(entries):
        port = 1024 + (entry * 7 + name) % 60000
        if entry == touched:
            port += 1
        lines.append(
            f" {10 * (entry + 1)} permit tcp 10.{name % 250}.{entry % 250}.0 0.0.0.255 "
            f"host 192.168.{entry % 250}.{1 + name % 250} eq {port}"
        )
    lines.append("!")
    return lines


def generate(megabytes: float, changed: float, seed: int) -> str:
    """An IOS ``show running-config`` of about ``megabytes`` MB; ``changed`` of it altered."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    head = [
        "Building configuration...",
        "",
        f"Current configuration : {target} bytes",
        "!",
        "version 17.9",
        "hostname core-bench",
        "!",
        "enable secret 9 $9$benchBENCHbenchBENCH$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
        "username admin privilege 15 secret 9 $9$adminADMINadmin$0123456789abcdefghijklmnopqrstu",
        "snmp-server community S3cr3t-Community RO",
        "!",
    ]
    for vlan in range(2, 1002):
        head += [f"vlan {vlan}", f" name USERS-{vlan}", "!"]
    body: list[str] = []
    size = sum(len(line) + 1 for line in head)
    unit, port, acl = 1, 1, 1
    while size < target:
        if port % 40 == 0:
            block = _acl(acl, 150, rng, changed)
            acl += 1
        else:
            note = "changed" if rng.random() < changed else "ok"
            block = _interface(unit, port % 48 + 1 + 48 * (port // 48), 2 + port % 1000, note)
        port += 1
        if port > 48 * 200:
            unit, port = unit + 1, 1
        body += block
        size += sum(len(line) + 1 for line in block)
    # what real configurations carry: a section written twice, an ACL name repeated
    body += [*_interface(1, 49, 30, "second block")[:1], " switchport access vlan 31", "!"]
    body += ["ip access-list extended ACL-0001", " permit udp any any eq 514", "!"]
    for route in range(500):
        body.append(f"ip route 10.{200 + route // 250}.{route % 250}.0 255.255.255.0 10.0.0.1")
    tail = ["!", "line vty 0 4", " transport input ssh", "!", "end", ""]
    return "\n".join(head + body + tail)


# -- the stages ---------------------------------------------------------------------------------


def _lines(text: str) -> int:
    return text.count("\n")


@contextmanager
def stage(name: str, sampler: PeakSampler, rows: list[dict[str, Any]], text: str) -> Iterator[None]:
    gc.collect()
    sampler.reset()
    started, cpu = time.perf_counter(), time.process_time()
    yield
    rows.append(
        {
            "stage": name,
            "mb": len(text) / 1e6,
            "lines": _lines(text),
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
            "peak": sampler.peak(),
        }
    )


def run(args: argparse.Namespace, sampler: PeakSampler) -> list[dict[str, Any]]:
    from prisme_drift.classify import diff_configs
    from prisme_drift.classify.patch import apply_hunks
    from prisme_drift.classify.remediation import remediation_for, remediation_lines
    from prisme_drift.collect.guard import check_fetch
    from prisme_drift.normalize import FingerprintKey, normalize
    from prisme_drift.profiles import get_profile

    profile = get_profile("ios")
    key = FingerprintKey(b"prisme-drift-benchmark-key-01234")
    approved_raw = generate(args.mb, 0.0, args.seed)
    observed_raw = generate(args.mb, args.changed, args.seed)
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {}

    def measure(name: str, text: str, work: Callable[[], Any]) -> None:
        with stage(name, sampler, rows, text):
            results[name] = work()

    measure("guard", observed_raw, lambda: check_fetch(observed_raw, profile))
    assert results["guard"].accepted, results["guard"].detail
    approved = normalize(approved_raw, profile, key)  # the stored baseline, read from git
    measure("normalize", observed_raw, lambda: normalize(observed_raw, profile, key))
    observed = results["normalize"]
    measure("diff", approved + observed, lambda: diff_configs(approved, observed, profile))
    hunks = results["diff"]

    def remediate() -> int:
        lines = remediation_lines(approved, observed, profile)
        return sum(len(remediation_for(hunk, lines, profile)) for hunk in hunks)

    measure("remediation", approved + observed, remediate)
    measure("approve", approved + observed, lambda: apply_hunks(approved, observed, hunks, profile))
    moved = diff_configs(results["approve"], observed, profile)
    print(
        f"hunks: {len(hunks)}  remediation lines (per hunk, summed): {results['remediation']}  "
        f"left after approving every hunk: {len(moved)}"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="configuration size (MB)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of changed sections")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--profile", help="write a cProfile of the whole run to this file")
    args = parser.parse_args()
    sampler = PeakSampler()
    print(f"start RSS {rss_mib():.0f} MiB")
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    rows = run(args, sampler)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    total, cpu = sum(r["seconds"] for r in rows), sum(r["cpu"] for r in rows)
    sampler.stop()
    head = f"{'seconds':>9} {'CPU s':>7} {'peak RSS MiB':>13}"
    print(f"{'stage':12} {'MB in':>7} {'lines in':>10} {head}")
    for r in rows:
        print(
            f"{r['stage']:12} {r['mb']:7.1f} {r['lines']:10d} {r['seconds']:9.2f} {r['cpu']:7.2f} "
            f"{r['peak']:13.0f}"
        )
    peak = max(r["peak"] for r in rows)
    print(f"{'total':12} {'':7} {'':10} {total:9.2f} {cpu:7.2f} {peak:13.0f}")
    print(f"(wall including generation: {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
