#!/usr/bin/env python3
"""Benchmark: the regular-expression work of an unchanged poll, after collection (issue 14).

    .venv/bin/python benchmarks/redaction.py [--devices 40] [--platform ios] [--rounds 5]

Builds the running configuration of ``--devices`` lab devices (``prisme_drift_lab``, no SSH),
then does, for each, what an unchanged poll does with a fetched configuration before comparing it
with the baseline: the fetch guard (``check_fetch``) and normalization (secrets fingerprinted,
noise dropped, canonical form). Prints the lines handled, the regular-expression calls made
(searches, matches, substitutions... counted by cProfile over one round) split by stage, and the
median wall and CPU seconds of ``--rounds`` rounds (without the profiler).

Run by hand on a quiet machine; no test asserts timings.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: cProfile's names for the calls that run a regular expression.
REGEX_CALLS = ("of 're.Pattern' objects", "<built-in method _sre.")


def configs(count: int, platform: str) -> list[str]:
    """The running configurations of ``count`` lab devices (each with its own name)."""
    from prisme_drift_lab import LabDevice

    devices = [
        LabDevice(name=f"sw{n:03d}", platform=platform, username="admin", password="bench-pass")
        for n in range(count)
    ]
    return [d.running_config() for d in devices]


def stages(texts: list[str], platform: str) -> list[tuple[str, Callable[[], object]]]:
    """Each stage of ``poll.judge`` after collection, as a call over every configuration."""
    from prisme_drift.collect.guard import check_fetch
    from prisme_drift.normalize import FingerprintKey, canonicalize, drop_noise, redact
    from prisme_drift.profiles import get_profile

    key = FingerprintKey(b"prisme-drift-benchmark-key-01234")
    profile = get_profile(platform)
    redacted = [redact(t, profile, key) for t in texts]
    quiet = [drop_noise(t, profile) for t in redacted]
    return [
        ("guard", lambda: [check_fetch(t, get_profile(platform)) for t in texts]),
        ("secrets", lambda: [redact(t, get_profile(platform), key) for t in texts]),
        ("noise", lambda: [drop_noise(t, get_profile(platform)) for t in redacted]),
        ("canonical", lambda: [canonicalize(t, get_profile(platform)) for t in quiet]),
    ]


def regex_calls(work: Callable[[], object]) -> int:
    """Regular-expression calls made by one ``work()``, counted by cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return sum(v[1] for k, v in raw.items() if any(m in k[2] for m in REGEX_CALLS))


def timed(work: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``work()``."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--platform", default="ios")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = configs(args.devices, args.platform)
    lines = sum(t.count("\n") for t in texts)
    print(f"{args.devices} {args.platform} configurations, {lines} lines; {args.rounds} rounds")
    print(f"{'stage':10} {'regex calls':>12} {'per line':>9} {'wall ms':>8} {'CPU ms':>7}")
    total = [0, 0.0, 0.0]
    for name, work in stages(texts, args.platform):
        work()  # patterns compiled, caches filled: not counted
        calls = regex_calls(work)
        wall, cpu = timed(work, args.rounds)
        total = [total[0] + calls, total[1] + wall, total[2] + cpu]
        print(f"{name:10} {calls:12d} {calls / lines:9.2f} {wall * 1000:8.1f} {cpu * 1000:7.1f}")
    calls, wall, cpu = total
    print(f"{'total':10} {calls:12d} {calls / lines:9.2f} {wall * 1000:8.1f} {cpu * 1000:7.1f}")
    print(f"CPU per device: {cpu * 1000 / args.devices:.2f} ms")


if __name__ == "__main__":
    main()
