"""GLPI Changes to ticket fields: status, categories, window, approval, kind and mandate.

The GLPI constants and the meaning of each field are documented in docs/glpi.md, with the GLPI
source files they were taken from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Any

from prisme_drift.authorize.glpi.html import plain_text
from prisme_drift.authorize.model import TicketKind, TicketStatus
from prisme_drift.models import Category
from prisme_drift.settings_glpi import GlpiSettings

# --- GLPI constants -----------------------------------------------------------------------------
# Change status: src/CommonITILObject.php (1-12) and src/Change.php (REFUSED, CANCELED, GLPI 10+).
INCOMING, WAITING, SOLVED, CLOSED, ACCEPTED, OBSERVED = 1, 4, 5, 6, 7, 8
EVALUATION, APPROVAL, TEST, QUALIFICATION, REFUSED, CANCELED = 9, 10, 11, 12, 13, 14
# Global validation and validation status: src/CommonITILValidation.php.
VALIDATION_NONE, VALIDATION_WAITING, VALIDATION_ACCEPTED, VALIDATION_REFUSED = 1, 2, 3, 4

DONE_STATUSES = frozenset({SOLVED, OBSERVED, CLOSED})  # Change::getSolvedStatusArray + CLOSED
DEAD_STATUSES = frozenset({CANCELED, REFUSED})
FINISHED_STATUSES = DONE_STATUSES | DEAD_STATUSES

GLPI_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


class SkipChange(Exception):
    """This change gives no ticket; the message says why and what to fix in GLPI."""


def glpi_int(value: Any) -> int:
    """GLPI ids and constants arrive as int (or numeric strings in old versions)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return 0


def glpi_name(value: Any) -> str:
    """An expanded dropdown: a name; an unexpanded or empty one (0, "", "&nbsp;") gives ""."""
    if not isinstance(value, str):
        return ""
    text = plain_text(value) if "&" in value or "<" in value else value.strip()
    return text.strip()


def glpi_time(value: Any, tz: tzinfo) -> datetime | None:
    """GLPI's naive local ``YYYY-MM-DD HH:MM:SS``, made aware in the site's timezone."""
    if not isinstance(value, str) or not GLPI_DATETIME.match(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=tz)
    except ValueError:  # 2026-02-30: shaped like a date, but not one
        return None


def normal_label(label: str) -> str:
    """A label for comparison: case-folded, spaces squeezed, GLPI's " (id)" suffix dropped."""
    label = re.sub(r"\s+\(\d+\)$", "", label.strip())
    return " ".join(label.casefold().split())


def tags(text: str) -> list[str]:
    """The ``[tag]`` words of a title or description, normalized."""
    return [normal_label(tag) for tag in re.findall(r"\[([^\[\]\n]{1,40})\]", text)]


def marker(text: str, markers: Iterable[str]) -> str | None:
    """The value after the first ``marker:`` of ``text`` (rest of its line), if any."""
    names = "|".join(re.escape(m) for m in markers if m)
    if not names:
        return None
    match = re.search(rf"(?i)\b(?:{names})\s*:\s*([^\n]+)", text)
    return match.group(1).strip() if match and match.group(1).strip() else None


def parse_expiry(value: str, tz: tzinfo) -> datetime | None:
    """``2026-12-31`` / ``31/12/2026`` (end of that day) or ``2026-12-31 18:00``, site time."""
    words = value.split()
    token, rest = (words[0], words[1:]) if words else ("", [])
    day: datetime | None = None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(token, fmt)
            break
        except ValueError:
            continue
    if day is None:
        return None
    if rest and re.fullmatch(r"\d{1,2}:\d{2}", rest[0]):
        hours, minutes = (int(p) for p in rest[0].split(":"))
        if hours < 24 and minutes < 60:
            return day.replace(hour=hours, minute=minutes, tzinfo=tz)
    return datetime.combine(day.date(), time(23, 59, 59), tzinfo=tz)


def change_status(change: dict[str, Any]) -> TicketStatus:
    """Approved: global validation accepted on a live change; done/dead statuses close it."""
    status = glpi_int(change.get("status"))
    if status in DEAD_STATUSES:
        return TicketStatus.CANCELLED
    if status in DONE_STATUSES:
        return TicketStatus.CLOSED
    if glpi_int(change.get("global_validation")) == VALIDATION_ACCEPTED:
        return TicketStatus.APPROVED
    return TicketStatus.DRAFT


@dataclass
class ChangeMapper:
    """Turns one GLPI change (and its sub-items) into ticket fields, or a ``SkipChange`` reason."""

    settings: GlpiSettings

    def categories(self, change: dict[str, Any], where: str, text: str) -> list[Category]:
        """From the ITIL category (via category_map) and ``[tags]``; the default otherwise."""
        itil = glpi_name(change.get("itilcategories_id"))
        found: list[Category] = [*self._mapped(itil)]
        for tag in tags(text):
            found.extend(self._tag_categories(tag))
        if not found:
            found.extend(self.settings.default_categories)
        if not found:
            why = f"its ITIL category {itil!r} is not in category_map" if itil else "no category"
            raise SkipChange(
                f"{where} has {why}: give it an ITIL category listed in category_map, "
                "or a tag such as [vlan] in its title or description"
            )
        return list(dict.fromkeys(found))

    def _mapped(self, label: str) -> tuple[Category, ...]:
        if not label:
            return ()
        wanted = {normal_label(label), normal_label(label.rsplit(">", maxsplit=1)[-1])}
        out: list[Category] = []
        for key, categories in self.settings.category_map.items():
            if normal_label(key) in wanted:
                out.extend(categories)
        return tuple(out)

    def _tag_categories(self, tag: str) -> tuple[Category, ...]:
        if tag in {c.value for c in Category}:
            return (Category(tag),)
        return self._mapped(tag)

    def window(self, tasks: list[dict[str, Any]], where: str) -> tuple[datetime, datetime]:
        """From the first planned task start to the last planned task end (ChangeTask)."""
        tz = self.settings.tz
        spans = [
            (begin, end)
            for task in tasks
            if (begin := glpi_time(task.get("begin"), tz))
            and (end := glpi_time(task.get("end"), tz))
        ]
        if not spans:
            raise SkipChange(
                f"{where} has no planned window: plan at least one of its tasks "
                "(start and end) in GLPI"
            )
        return min(b for b, _ in spans), max(e for _, e in spans)

    def approval(self, validations: list[dict[str, Any]], cid: int) -> dict[str, Any] | None:
        """Who accepted (ChangeValidation status 3), when (the latest answer), and a reference."""
        tz = self.settings.tz
        accepted = sorted(
            (
                (at, v)
                for v in validations
                if glpi_int(v.get("status")) == VALIDATION_ACCEPTED
                and (at := glpi_time(v.get("validation_date"), tz))
            ),
            key=lambda pair: pair[0],
        )
        if not accepted:
            return None
        names = [
            glpi_name(v.get("users_id_validate"))
            or f"GLPI user {glpi_int(v.get('users_id_validate'))}"
            for _, v in accepted
        ]
        ids = ", ".join(f"#{glpi_int(v.get('id'))}" for _, v in accepted)
        return {
            "by": ", ".join(dict.fromkeys(names)),
            "at": accepted[-1][0],
            "ref": f"GLPI change {cid}, approval {ids}",
        }

    def kind(self, text: str, where: str, problems: list[str]) -> dict[str, Any]:
        """Transitional when a transitional tag is present, with ``expire: DATE`` if given."""
        wanted = {normal_label(t) for t in self.settings.transitional_tags}
        if not wanted & set(tags(text)):
            return {"kind": TicketKind.DEFINITIVE}
        raw = marker(text, self.settings.expiry_markers)
        expires = parse_expiry(raw, self.settings.tz) if raw else None
        if raw and expires is None:
            problems.append(
                f"{where}: expiry date {raw!r} not understood: write it as 2026-12-31 or 31/12/2026"
            )
        return {"kind": TicketKind.TRANSITIONAL, "expires_at": expires}

    def mandate(self, text: str) -> str | None:
        """The written mandate reference after ``mandat:`` in the description."""
        return marker(text, self.settings.mandate_markers)
