"""Pass 2: drop volatile lines (timestamps, clock periods, counters) that are not changes."""

from __future__ import annotations

import re

from prisme_drift.profiles import Profile


def drop_noise(text: str, profile: Profile) -> str:
    """Remove every line matching one of the profile's noise patterns."""
    if not profile.noise:
        return text
    pattern = re.compile("|".join(f"(?:{p})" for p in profile.noise))
    kept = [line for line in text.splitlines() if not pattern.search(line)]
    return "\n".join(kept) + ("\n" if text.endswith("\n") else "")
