"""What every section builder shares: times as people read them, commands, labels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prisme_drift.i18n import Words
from prisme_drift.notify.document import Block, Code, Fields, Heading, Para, words
from prisme_drift.notify.notifier import EventView, Wording
from prisme_drift.timefmt import local_time, parse_iso

__all__ = [
    "Block",
    "Code",
    "EventView",
    "Fields",
    "Heading",
    "Para",
    "Wording",
    "category_label",
    "cmd",
    "iso_local",
    "parse_time",
    "text",
    "when",
    "zone",
]


def text(w: Wording) -> Words:
    """The wording of ``w``'s language."""
    return words(w.language)


def zone(w: Wording) -> ZoneInfo:
    """The site's timezone."""
    return ZoneInfo(w.timezone)


def when(value: datetime | None, tz: ZoneInfo, unknown: str) -> str:
    """What a reader sees: ``2026-12-01 09:14:03 +04:00`` in the site's timezone."""
    return local_time(value, tz, empty=unknown)


def iso_local(value: datetime | None, tz: ZoneInfo, *, ceil: bool = False) -> str:
    """ISO 8601 to the second in the site's timezone; ``ceil`` rounds up (a window's end)."""
    if value is None:
        return "ISO-DATE"
    if ceil and value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.astimezone(tz).isoformat(timespec="seconds")


def parse_time(value: Any) -> datetime | None:
    """A payload's ISO time, or None."""
    return parse_iso(value) if isinstance(value, str) else None


def cmd(w: Wording) -> str:
    """``prisme-drift -c <settings>``, the start of every suggested command."""
    hint = f" -c {w.config_path}" if w.config_path else ""
    return f"prisme-drift{hint}"


def category_label(category: str, t: Words) -> str:
    """A change category as people read it (the name itself when the catalog lacks it)."""
    return t.label("alert.category", category)


def device_rows(p: Mapping[str, Any], w: Wording) -> list[tuple[str, str]]:
    """Device, address, last good poll and last error of a device event's payload."""
    t = text(w)
    rows = [(t("alert.field.device"), str(p.get("device", "")))]
    if p.get("hostname"):
        rows.append((t("alert.field.address"), f"{p['hostname']}:{p.get('port') or 22}"))
    last = when(parse_time(p.get("last_success_at")), zone(w), t("alert.value.never"))
    rows.append((t("alert.field.last_success"), last))
    if p.get("error_kind"):
        rows.append((t("alert.field.error"), f"{p['error_kind']}: {p.get('error') or ''}"))
    return rows
