"""Durations written by people: ``"15m"``, ``"1h30m"``, ``"90s"``, ``"2h"``, or seconds.

A bottom-layer module (no prisme-drift import): the settings schema validates ``[schedule]``
with it and the daemon formats its intervals with it.
"""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[smhd]\s*)+$")


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``: a number (seconds) or a string of number+unit parts (s, m, h, d).

    Raises ValueError with the accepted forms when the text does not parse or is not positive.
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a text such as '15m'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower()
        if not _WHOLE.match(text):
            raise ValueError(
                f"{value!r} is not a duration: write a number and a unit, "
                "e.g. '30s', '15m', '1h30m' or '1d'"
            )
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"{value!r}: a duration must be more than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest readable form of ``seconds`` (``900`` -> ``"15m"``, ``5400`` -> ``"1h30m"``)."""
    if seconds < 60 or seconds != int(seconds):
        return f"{seconds:g}s"
    whole = int(seconds)
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)
