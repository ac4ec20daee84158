"""Times, in one place: the clock, the form people read and the form machines exchange.

People read a time in the site's timezone (settings ``[site] timezone``) with its offset, to the
second: ``2026-12-01 09:14:03 +04:00`` (tables, ``drift show``, ``status``, tickets, the outbox,
daemon log lines, emails). JSON, stored keys and command arguments keep ISO 8601 with an offset
(``iso``). A naive datetime is UTC: that is how the database hands them back.

This module is at the bottom of the layers: it imports nothing from prisme-drift.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TIMEZONE",
    "as_utc",
    "iso",
    "local_time",
    "parse_iso",
    "parse_time",
    "utcnow",
    "zone",
]

#: One default for ``[site] timezone``, whether ``init`` writes it or the key is left out: the
#: product's users (PRISME and its clinics) are in La Réunion. docs/configuration.md says so.
DEFAULT_TIMEZONE = "Indian/Reunion"

# RFC 9557 suffix: 2026-12-01T10:00[Europe/Paris] names the zone the time is given in.
_ZONE_SUFFIX = re.compile(r"^(?P<time>[^\[\]]+)\[(?P<zone>[A-Za-z0-9_+\-/]+)\]$")


def utcnow() -> datetime:
    """Aware UTC now: the one clock every stage reads."""
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (e.g. ``Indian/Reunion``); ValueError naming it if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r} (an IANA name, e.g. Indian/Reunion)") from exc


def as_utc(value: datetime) -> datetime:
    """The same instant, aware, in UTC (a naive value is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive -> UTC); None for empty or unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _offset(delta: timedelta | None) -> str:
    minutes = round((delta or timedelta()).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def local_time(
    value: datetime | str | None, timezone: str | tzinfo | None, *, empty: str = ""
) -> str:
    """``2026-12-01 09:14:03 +04:00``: ``value`` in ``timezone`` (None: the value's own
    offset), to the second. ``empty`` stands for a missing value; an unreadable string is
    returned as it is rather than hidden."""
    if value is None or value == "":
        return empty
    when = parse_iso(value)
    if when is None:
        return str(value)
    target = zone(timezone) if isinstance(timezone, str) else timezone
    local = when.astimezone(target) if target is not None else when
    return f"{local:%Y-%m-%d %H:%M:%S} {_offset(local.utcoffset())}"


def iso(value: datetime | None, *, timespec: str = "auto") -> str | None:
    """ISO 8601 with an offset, for JSON and keys (naive -> UTC); None stays None."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec=timespec)


def parse_time(value: str, timezone: str) -> datetime:
    """A time a person typed: ISO 8601 with an offset (``Z`` for UTC), or followed by a zone
    name in brackets (``2026-12-01T10:00[Europe/Paris]``), or naive (taken in ``timezone``).

    Returned in ``timezone``, the same instant. ValueError says what is wrong.
    """
    text = value.strip()
    named = _ZONE_SUFFIX.match(text)
    given_zone = zone(named["zone"]) if named else None
    when = datetime.fromisoformat(named["time"] if named else text)
    if given_zone is not None:
        if when.tzinfo is not None:
            raise ValueError(f"{value!r} has both an offset and a zone name; give one")
        when = when.replace(tzinfo=given_zone)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=zone(timezone))
    return when.astimezone(zone(timezone))
