"""Sections of device events: unreachable, reachable again, quarantined fetch, changed host key,
removed from the inventory."""

from __future__ import annotations

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
    device_rows,
    parse_time,
    text,
    when,
    zone,
)


def device_unreachable_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: the device's address, last good poll, error and ``failures``."""
    t = text(w)
    failures = (t("alert.field.failures"), str(e.payload.get("failures", "")))
    return [
        Heading(t("alert.heading.device_unreachable", device=e.device)),
        Fields((*device_rows(e.payload, w), failures)),
        Para(t("alert.advice.device_unreachable")),
    ]


def device_recovered_blocks(e: EventView, w: Wording) -> list[Block]:
    """Device, last good poll and when it answered again."""
    t = text(w)
    rows = [
        *device_rows(e.payload, w),
        (t("alert.field.recovered_at"), when(e.created_at, zone(w), "")),
    ]
    return [
        Heading(t("alert.heading.device_recovered", device=e.device)),
        Fields(tuple(rows[:1] + rows[-2:])),
        Para(t("alert.advice.device_recovered")),
    ]


def fetch_quarantined_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``error_kind`` (empty, truncated, error_text) and ``error``."""
    t = text(w)
    kind = str(e.payload.get("error_kind") or "")
    rows = (
        (t("alert.field.device"), str(e.device)),
        (t("alert.field.quarantine_reason"), t.label("alert.quarantine", kind)),
        (t("alert.field.detail"), str(e.payload.get("error") or "")),
    )
    return [
        Heading(t("alert.heading.fetch_quarantined", device=e.device)),
        Fields(rows),
        Para(t("alert.advice.fetch_quarantined")),
    ]


def hostkey_changed_blocks(e: EventView, w: Wording) -> list[Block]:
    """The device, the error naming both fingerprints, and the command that accepts the key."""
    t = text(w)
    return [
        Heading(t("alert.heading.hostkey_changed", device=e.device)),
        Fields(tuple(device_rows(e.payload, w))),
        Para(t("alert.advice.hostkey_changed")),
        Code((f"{cmd(w)} hostkey accept {e.device}",)),
    ]


def _closed_item_line(item: dict[str, object], w: Wording) -> str:
    path = item.get("path") or []
    lines = item.get("lines") or [""]
    where = " / ".join(path) if isinstance(path, list) else ""
    first = lines[0] if isinstance(lines, list) else ""
    category = category_label(str(item.get("category")), text(w))
    return f"#{item.get('id')}  {category}  {where or first}".rstrip()


def device_removed_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: the device's last known address and poll, ``removed_at``, ``closed_items``."""
    t = text(w)
    p = e.payload
    removed = when(parse_time(p.get("removed_at")), zone(w), t("alert.value.unknown"))
    blocks: list[Block] = [
        Heading(t("alert.heading.device_removed", device=e.device)),
        Fields((*device_rows(p, w), (t("alert.field.removed_at"), removed))),
        Para(t("alert.advice.device_removed")),
    ]
    items = [_closed_item_line(i, w) for i in p.get("closed_items") or []]
    if items:
        blocks += [Para(t("alert.lead.removed_items")), Code(tuple(items))]
    return blocks
