"""Small helpers shared by the personalities: data files, the clock, stable derived values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from importlib import resources

_DATA = resources.files("prisme_drift_lab") / "data"


def read_data(name: str) -> str:
    """A text file of ``prisme_drift_lab/data``."""
    return (_DATA / name).read_text(encoding="utf-8")


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def stable_bytes(*parts: object, length: int = 32) -> bytes:
    """``length`` pseudo-random bytes, always the same for the same ``parts``."""
    seed = "\x1f".join(str(p) for p in parts).encode("utf-8")
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def duration_parts(seconds: float) -> tuple[int, int, int, int, int]:
    """(weeks, days, hours, minutes, seconds) of a duration."""
    rest = int(seconds)
    weeks, rest = divmod(rest, 7 * 86_400)
    days, rest = divmod(rest, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    return weeks, days, hours, minutes, secs
