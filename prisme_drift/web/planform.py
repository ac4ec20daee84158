"""The change-plan form: its fields read from a posted form, and a stored plan as form values.

Times come from ``datetime-local`` inputs, without an offset: they are the site's time (the rules
in :mod:`prisme_drift.fleet.plans` read them so). Lists come from checkboxes (devices,
categories) and a comma-separated field (groups).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from prisme_drift.fleet.plans import StoredPlan
from prisme_drift.models import Category
from prisme_drift.timefmt import parse_iso, zone

CATEGORIES = tuple(c.value for c in Category)
KINDS = ("definitive", "transitional")


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _list(form: FormData, key: str) -> list[str]:
    return [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]


def plan_data(form: FormData) -> dict[str, Any]:
    """The plan's fields as the rules take them; empty optional fields are None."""
    groups = [g.strip() for g in _text(form, "groups").split(",") if g.strip()]
    return {
        "id": _text(form, "id"),
        "title": _text(form, "title"),
        "requested_by": _text(form, "requested_by"),
        "devices": _list(form, "devices"),
        "groups": groups,
        "whole_site": form.get("whole_site") == "on",
        "categories": _list(form, "categories"),
        "start": _text(form, "start"),
        "end": _text(form, "end"),
        "rollback": _text(form, "rollback"),
        "kind": _text(form, "kind") or "definitive",
        "expires_at": _text(form, "expires_at") or None,
        "mandate": _text(form, "mandate") or None,
    }


def _local_input(value: object, timezone: str) -> str:
    """An ISO time as a ``datetime-local`` value in the site's time (``2026-12-10T08:00``)."""
    when = parse_iso(value)
    return "" if when is None else when.astimezone(zone(timezone)).strftime("%Y-%m-%dT%H:%M")


def form_values(plan: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """A stored (canonical) plan as the form's values: times in the site's time."""
    values = dict(plan)
    for key in ("start", "end", "expires_at"):
        values[key] = _local_input(plan.get(key), timezone)
    values["groups"] = ", ".join(plan.get("groups") or ())
    values["mandate"] = plan.get("mandate") or ""
    return values


def posted_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What was posted, to show the form again with the person's input."""
    return {
        **data,
        "groups": ", ".join(data.get("groups") or ()),
        "expires_at": data.get("expires_at") or "",
        "mandate": data.get("mandate") or "",
    }


def empty_values(ticket_id: str) -> dict[str, Any]:
    """A new plan's form: the proposed ticket id, a definitive change."""
    return {
        "id": ticket_id, "title": "", "requested_by": "", "devices": [], "groups": "",
        "whole_site": False, "categories": [], "start": "", "end": "", "rollback": "",
        "kind": "definitive", "expires_at": "", "mandate": "",
    }  # fmt: skip


def plan_summary(plan: StoredPlan) -> dict[str, Any]:
    """A line of the site's list of plans."""
    return {
        "id": plan.id,
        "ticket_id": plan.ticket_id,
        "title": plan.plan.get("title", ""),
        "status": plan.status,
        "start": plan.plan.get("start"),
        "end": plan.plan.get("end"),
        "updated_at": plan.updated_at,
    }
