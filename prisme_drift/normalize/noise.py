"""Pass 2: drop volatile lines and volatile parts of lines (timestamps, clock periods, counters).

Nothing dropped here is a change: a line that matches a noise pattern can never make drift, so
patterns stay narrow (anchored, specific), and whole blocks only when the device itself marks them.
"""

from __future__ import annotations

import re

from prisme_drift.profiles import Profile
from prisme_drift.profiles.prefilter import any_of
from prisme_drift.profiles.regex import compiled


def _drop_blocks(lines: list[str], profile: Profile) -> list[str]:
    kept: list[str] = []
    end: re.Pattern[str] | None = None
    for line in lines:
        if end is not None:
            if end.search(line):
                end = None
            continue
        block = next((b for b in profile.noise_blocks if compiled(b.begin).search(line)), None)
        if block is None:
            kept.append(line)
        elif not compiled(block.end).search(line):
            end = compiled(block.end)
    return kept


def _substitute(line: str, profile: Profile) -> str:
    for rule in profile.substitutions:
        line = compiled(rule.pattern).sub(rule.replacement, line)
    return line


def drop_noise(text: str, profile: Profile) -> str:
    """Remove noise blocks and noise lines, then blank out volatile parts of the others."""
    if not (profile.noise or profile.noise_blocks or profile.substitutions):
        return text
    lines = text.splitlines()
    if profile.noise_blocks:
        lines = _drop_blocks(lines, profile)
    if profile.noise:
        noise = any_of(profile.noise)
        if noise is None:
            pattern = compiled("|".join(f"(?:{p})" for p in profile.noise))
            lines = [line for line in lines if not pattern.search(line)]
        else:
            dropped = set(noise.keep(lines))
            lines = [line for n, line in enumerate(lines) if n not in dropped]
    if profile.substitutions:
        lines = [_substitute(line, profile) for line in lines]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
