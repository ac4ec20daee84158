"""Sections of drift events: an unauthorized change opened, a drift item closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from prisme_drift.models import DriftView
from prisme_drift.notify.sections.common import (
    Block,
    Code,
    EventView,
    Fields,
    Heading,
    Para,
    Wording,
    category_label,
    cmd,
    iso_local,
    parse_time,
    text,
    when,
    zone,
)


def view_from_payload(payload: Mapping[str, Any]) -> DriftView:
    """The DriftView a drift event recorded (``DriftView.as_dict`` read back)."""
    return DriftView(
        id=int(payload["id"]),
        site=str(payload["site"]),
        device=str(payload["device"]),
        category=str(payload["category"]),
        verdict=str(payload["verdict"]),
        reason=payload.get("reason"),
        opened_at=parse_time(payload["opened_at"]) or datetime.min,
        closed_at=parse_time(payload.get("closed_at")),
        close_reason=payload.get("close_reason"),
        appeared_after=parse_time(payload.get("appeared_after")),
        path=tuple(payload.get("path", ())),
        removed=tuple(payload.get("removed", ())),
        added=tuple(payload.get("added", ())),
        remediation=tuple(payload.get("remediation", ())),
        accepted_by=payload.get("accepted_by"),
        accept_reason=payload.get("accept_reason"),
    )


def _drift_fields(item: DriftView, w: Wording) -> list[tuple[str, str]]:
    t, tz = text(w), zone(w)
    rows = [(t("alert.field.site"), item.site)]
    if w.client:
        rows.append((t("alert.field.client"), w.client))
    unknown = t("alert.value.unknown")
    appeared = t(
        "alert.value.appeared",
        start=when(item.appeared_after, tz, unknown),
        end=when(item.opened_at, tz, unknown),
    )
    rows += [
        (t("alert.field.device"), item.device),
        (t("alert.field.category"), category_label(item.category, t)),
        (t("alert.field.appeared"), appeared),
    ]
    return rows


def _diff_lines(item: DriftView) -> tuple[str, ...]:
    return tuple(f"  {p}" for p in item.path) + tuple(item.lines())


def ticket_commands(item: DriftView, w: Wording) -> tuple[str, ...]:
    """``ticket add`` over the interval the change appeared in, then ``ticket approve``."""
    t, tz = text(w), zone(w)
    start = iso_local(item.appeared_after or item.opened_at, tz)
    end = iso_local(item.opened_at, tz, ceil=True)
    who, why = t("alert.command.who"), t("alert.command.why")
    return (
        f'{cmd(w)} ticket add CHG-XXXX --title "..." --device {item.device} '
        f"--category {item.category} --start {start} --end {end} "
        f'--rollback "{t("alert.command.rollback")}"',
        f'{cmd(w)} ticket approve CHG-XXXX --by {who} --ref "{why}"',
    )


def accept_command(item: DriftView, w: Wording) -> str:
    """``drift accept ID --by NAME --reason ...``."""
    t = text(w)
    who, why = t("alert.command.who"), t("alert.command.why")
    return f'{cmd(w)} drift accept {item.id} --by {who} --reason "{why}"'


def drift_opened_blocks(item: DriftView, w: Wording) -> list[Block]:
    """An unauthorized change: where, when, the diff, the verdict, what to do."""
    t = text(w)
    category = category_label(item.category, t)
    blocks: list[Block] = [
        Heading(t("alert.heading.drift_opened", device=item.device, category=category)),
        Fields(
            (
                *_drift_fields(item, w),
                (t("alert.field.verdict"), t("alert.value.unauthorized")),
                (t("alert.field.reason"), t.label("alert.reason", item.reason or "")),
                (t("alert.field.item"), str(item.id)),
            )
        ),
        Para(t("alert.lead.diff")),
        Code(_diff_lines(item)),
    ]
    if item.remediation:
        blocks += [Para(t("alert.lead.remediation")), Code(tuple(item.remediation))]
    return [
        *blocks,
        Para(t("alert.lead.accept")),
        Code((accept_command(item, w),)),
        Para(t("alert.lead.ticket")),
        Code(ticket_commands(item, w)),
    ]


def drift_closed_blocks(item: DriftView, w: Wording) -> list[Block]:
    """A drift item that closed: why, and what it was."""
    t, tz = text(w), zone(w)
    unknown = t("alert.value.unknown")
    category = category_label(item.category, t)
    rows = [
        (t("alert.field.device"), item.device),
        (t("alert.field.category"), category),
        (t("alert.field.closed_because"), t.label("alert.closed", item.close_reason or "")),
        (t("alert.field.opened_at"), when(item.opened_at, tz, unknown)),
        (t("alert.field.closed_at"), when(item.closed_at, tz, unknown)),
        (t("alert.field.item"), str(item.id)),
    ]
    if item.accepted_by:
        accepted = t("alert.value.accepted", who=item.accepted_by, why=item.accept_reason or "")
        rows.append((t("alert.field.accepted_by"), accepted))
    return [
        Heading(t("alert.heading.drift_closed", device=item.device, category=category)),
        Fields(tuple(rows)),
        Para(t("alert.lead.diff")),
        Code(_diff_lines(item)),
    ]


def drift_opened_section(e: EventView, w: Wording) -> list[Block]:
    """The section of a ``drift_opened`` event."""
    return drift_opened_blocks(view_from_payload(e.payload), w)


def drift_closed_section(e: EventView, w: Wording) -> list[Block]:
    """The section of a ``drift_closed`` event."""
    return drift_closed_blocks(view_from_payload(e.payload), w)
