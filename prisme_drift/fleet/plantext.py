"""The plain-language text of a change plan: what the client reads before approving it.

French by default: what will change, on which devices, when (in the site's timezone), how it is
undone, until when a transitional step lasts, the manufacturer's mandate. It is a text the
client signs off, so its wording is in the client documents' catalogs (``report/locale``, ids
``plan.*``), frozen with the plan on the central database when the plan is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.dates import format_datetime

from prisme_drift.i18n import Words
from prisme_drift.report.i18n import CATALOGS
from prisme_drift.timefmt import parse_iso, zone


def _when(value: Any, words: Words, lang: str, timezone: str) -> str:
    when = parse_iso(value)
    if when is None:
        return str(value)
    pattern = words("plan.time_format")
    return format_datetime(when.astimezone(zone(timezone)), pattern, locale=lang)


def _scope(plan: Mapping[str, Any], words: Words) -> list[str]:
    lines = []
    if plan.get("whole_site"):
        lines.append(words("plan.scope.whole_site"))
    if plan.get("devices"):
        devices = list(plan["devices"])
        lines.append(words.plural("plan.scope.devices", len(devices), devices=", ".join(devices)))
    if plan.get("groups"):
        lines.append(words("plan.scope.groups", groups=", ".join(plan["groups"])))
    return lines


def _kind(plan: Mapping[str, Any], words: Words, lang: str, timezone: str) -> str:
    if plan.get("kind") != "transitional":
        return words("plan.kind.definitive")
    until = plan.get("expires_at")
    if until is None:
        return words("plan.kind.transitional_open")
    return words("plan.kind.transitional", until=_when(until, words, lang, timezone))


def plan_text(plan: Mapping[str, Any], lang: str = "fr", timezone: str = "UTC") -> str:
    """The plan as the client reads it, one statement per paragraph, in ``lang``; times in the
    site's ``timezone``."""
    words = CATALOGS.words(lang)
    categories = ", ".join(words.label("plan.category", c) for c in plan["categories"])
    rollback = str(plan.get("rollback") or "").strip() or words("plan.rollback_missing")
    paragraphs = [
        words("plan.heading", ticket=plan["id"], title=plan["title"]),
        words("plan.what", categories=categories),
        words("plan.where") + "\n" + "\n".join(f"- {s}" for s in _scope(plan, words)),
        words(
            "plan.when",
            start=_when(plan["start"], words, lang, timezone),
            end=_when(plan["end"], words, lang, timezone),
            timezone=timezone,
        ),
        words("plan.rollback", rollback=rollback),
        _kind(plan, words, lang, timezone),
    ]
    if plan.get("mandate"):
        paragraphs.append(words("plan.mandate", mandate=plan["mandate"]))
    if plan.get("requested_by"):
        paragraphs.append(words("plan.requested_by", name=plan["requested_by"]))
    paragraphs.append(words("plan.covers"))
    return "\n\n".join(paragraphs)
