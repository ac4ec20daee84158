"""Sections of site events: tickets (expired step, refused), jobs, the fleet git push, the store,
heartbeat, test."""

from __future__ import annotations

from prisme_drift.i18n import Words
from prisme_drift.notify.sections.common import (
    Block,
    Code,
    EventView,
    Fields,
    Heading,
    Para,
    Wording,
    category_label,
    parse_time,
    text,
    when,
    zone,
)

STORE_PROBLEMS = ("disk_full", "read_only", "corrupt", "state_missing", "other")


def transitional_expired_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``ticket``, ``device``, optional ``category``, ``expired_at``, ``lines``."""
    t = text(w)
    p = e.payload
    device = e.device or p.get("device", "")
    expired = when(parse_time(p.get("expired_at")), zone(w), t("alert.value.unknown"))
    rows = [
        (t("alert.field.ticket"), str(p.get("ticket", ""))),
        (t("alert.field.device"), str(device)),
        (t("alert.field.expired_at"), expired),
    ]
    if p.get("category"):
        rows.insert(2, (t("alert.field.category"), category_label(str(p["category"]), t)))
    blocks: list[Block] = [
        Heading(t("alert.heading.transitional_expired", device=device)),
        Fields(tuple(rows)),
        Para(t("alert.advice.transitional_expired")),
    ]
    if p.get("lines"):
        blocks += [Para(t("alert.lead.lines")), Code(tuple(p["lines"]))]
    return blocks


def ticket_refused_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``ticket``, ``title``, ``source``, ``where``, ``reasons``."""
    t = text(w)
    p = e.payload
    rows = (
        (t("alert.field.ticket"), str(p.get("ticket", ""))),
        (t("alert.field.title"), str(p.get("title", ""))),
        (t("alert.field.source"), str(p.get("source", ""))),
        (t("alert.field.where"), str(p.get("where", ""))),
    )
    return [
        Heading(t("alert.heading.ticket_refused", ticket=p.get("ticket", ""))),
        Fields(rows),
        Para(t("alert.lead.refused_reasons")),
        Code(tuple(f"- {r}" for r in p.get("reasons", []))),
        Para(t("alert.advice.ticket_refused")),
    ]


def job_failed_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``job``, ``error``."""
    t = text(w)
    job = str(e.payload.get("job", ""))
    rows = (
        (t("alert.field.job"), job),
        (t("alert.field.at"), when(e.created_at, zone(w), "")),
        (t("alert.field.error"), str(e.payload.get("error", ""))),
    )
    return [Heading(t("alert.heading.job_failed", job=job)), Fields(rows)]


def fleet_push_rejected_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``remote``, ``branch``, ``local_head``, ``remote_head``, ``reason``."""
    t = text(w)
    p = e.payload
    unknown = t("alert.value.unknown")
    rows = (
        (t("alert.field.remote"), str(p.get("remote", ""))),
        (t("alert.field.branch"), str(p.get("branch", ""))),
        (t("alert.field.local_commit"), str(p.get("local_head") or unknown)),
        (t("alert.field.remote_commit"), str(p.get("remote_head") or unknown)),
        (t("alert.field.detail"), str(p.get("reason", ""))),
    )
    return [
        Heading(t("alert.heading.fleet_push_rejected", branch=p.get("branch", ""))),
        Para(t("alert.text.fleet_push_rejected")),
        Fields(rows),
        Para(t("alert.advice.fleet_push_rejected")),
    ]


def store_problem(e: EventView, t: Words) -> tuple[str, str]:
    """(label, what to do) of a ``store_unusable`` event."""
    problem = str(e.payload.get("problem", ""))
    name = problem if problem in STORE_PROBLEMS else "other"
    return t(f"alert.store.{name}"), t(f"alert.store_advice.{name}")


def store_unusable_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``problem``, ``error``, ``failing_since``, ``retry_every`` (text or absent)."""
    t = text(w)
    label, advice = store_problem(e, t)
    since = when(parse_time(e.payload.get("failing_since")), zone(w), t("alert.value.unknown"))
    rows = [
        (t("alert.field.site"), e.site),
        (t("alert.field.since"), since),
        (t("alert.field.error"), str(e.payload.get("error", ""))),
    ]
    if e.payload.get("retry_every"):
        rows.append((t("alert.field.retry_every"), str(e.payload["retry_every"])))
    return [
        Heading(t("alert.heading.store_unusable", site=e.site, problem=label)),
        Para(t("alert.text.store_unusable")),
        Fields(tuple(rows)),
        Para(t("alert.advice.store_unusable", advice=advice)),
    ]


def heartbeat_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``devices``, ``statuses`` (status -> count), ``open_drift``, ``period``."""
    t = text(w)
    p = e.payload
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(dict(p.get("statuses", {})).items()) if v)
    rows = (
        (t("alert.field.site"), e.site),
        (t("alert.field.watched"), str(p.get("devices", ""))),
        (t("alert.field.statuses"), statuses),
        (t("alert.field.open_drift"), str(p.get("open_drift", ""))),
        (t("alert.field.period"), str(p.get("period", ""))),
    )
    return [
        Heading(t("alert.heading.heartbeat", site=e.site)),
        Para(t("alert.text.heartbeat")),
        Fields(rows),
    ]


def test_blocks(e: EventView, w: Wording) -> list[Block]:
    """The ``notify test`` message."""
    t = text(w)
    return [
        Heading(t("alert.heading.test")),
        Para(t("alert.text.test")),
        Fields(((t("alert.field.site"), e.site),)),
    ]
