"""The plain-language text of a change plan: what the client reads before approving it.

French by default: what will change, on which devices, when (in the site's timezone), how it is
undone, until when a transitional step lasts, the manufacturer's mandate. The wording is in the
web page's catalogs (``prisme_drift/web/locale``, ids ``web.plan.*``): read here as data, by
path, because the text is frozen with the plan on the central database when it is submitted,
below the web layer that shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

from prisme_drift.i18n import Catalogs, Words
from prisme_drift.timefmt import parse_iso, zone

#: The web page's catalogs (``web/locale/<lang>/LC_MESSAGES/messages.po``).
CATALOGS = Catalogs(Path(__file__).resolve().parent.parent / "web" / "locale")


def _when(value: Any, words: Words, lang: str, timezone: str) -> str:
    when = parse_iso(value)
    if when is None:
        return str(value)
    pattern = words("web.plan.time_format")
    return format_datetime(when.astimezone(zone(timezone)), pattern, locale=lang)


def _scope(plan: Mapping[str, Any], words: Words) -> list[str]:
    lines = []
    if plan.get("whole_site"):
        lines.append(words("web.plan.scope.whole_site"))
    if plan.get("devices"):
        devices = list(plan["devices"])
        lines.append(
            words.plural("web.plan.scope.devices", len(devices), devices=", ".join(devices))
        )
    if plan.get("groups"):
        lines.append(words("web.plan.scope.groups", groups=", ".join(plan["groups"])))
    return lines


def _kind(plan: Mapping[str, Any], words: Words, lang: str, timezone: str) -> str:
    if plan.get("kind") != "transitional":
        return words("web.plan.kind.definitive")
    until = plan.get("expires_at")
    if until is None:
        return words("web.plan.kind.transitional_open")
    return words("web.plan.kind.transitional", until=_when(until, words, lang, timezone))


def plan_text(plan: Mapping[str, Any], lang: str = "fr", timezone: str = "UTC") -> str:
    """The plan as the client reads it, one statement per paragraph, in ``lang``; times in the
    site's ``timezone``."""
    words = CATALOGS.words(lang)
    categories = ", ".join(words.label("web.plan.category", c) for c in plan["categories"])
    rollback = str(plan.get("rollback") or "").strip() or words("web.plan.rollback_missing")
    paragraphs = [
        words("web.plan.heading", ticket=plan["id"], title=plan["title"]),
        words("web.plan.what", categories=categories),
        words("web.plan.where") + "\n" + "\n".join(f"- {s}" for s in _scope(plan, words)),
        words(
            "web.plan.when",
            start=_when(plan["start"], words, lang, timezone),
            end=_when(plan["end"], words, lang, timezone),
            timezone=timezone,
        ),
        words("web.plan.rollback", rollback=rollback),
        _kind(plan, words, lang, timezone),
    ]
    if plan.get("mandate"):
        paragraphs.append(words("web.plan.mandate", mandate=plan["mandate"]))
    if plan.get("requested_by"):
        paragraphs.append(words("web.plan.requested_by", name=plan["requested_by"]))
    paragraphs.append(words("web.plan.covers"))
    return "\n\n".join(paragraphs)
