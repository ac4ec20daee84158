"""Alert emails in French (default) or English: subject, plain text and HTML from one view model.

Every event kind has a *section* builder (``notify/sections``) returning a few blocks (heading,
fields, paragraph, code) worded from the gettext catalogs (``notify/locale``); the blocks go
through the Jinja2 templates (``notify/templates``, ``notify/document.py``) as plain text and as
HTML, so the two parts of an email never disagree. Subjects name the device and category when a
message carries one drift item, and count otherwise.
"""

from __future__ import annotations

from collections import Counter

from prisme_drift.i18n import Words
from prisme_drift.models import DriftView
from prisme_drift.notify.document import (
    Block,
    Code,
    Heading,
    Message,
    Para,
    render_template,
    subject_line,
    to_html,
    to_text,
    words,
)
from prisme_drift.notify.notifier import EventView, Notification, Wording
from prisme_drift.notify.sections import SECTIONS
from prisme_drift.notify.sections.chat import chat_blocks_of
from prisme_drift.notify.sections.common import category_label, when, zone
from prisme_drift.notify.sections.drift import drift_opened_blocks, view_from_payload
from prisme_drift.notify.sections.site import store_problem

__all__ = [
    "SECTIONS",
    "Message",
    "blocks_for",
    "event_text",
    "render_chat",
    "render_drift_alert",
    "render_notification",
    "subject_for",
]

CHAT_TEMPLATE = "chat.txt"
#: Up to this many devices or categories are named in a subject; more are counted.
NAMED_IN_SUBJECT = 3


def _drift_subject(e: EventView, t: Words) -> str:
    item = view_from_payload(e.payload)
    category = category_label(item.category, t)
    if e.kind == "drift_opened":
        return t("alert.subject.drift_opened", site=e.site, device=item.device, category=category)
    reason = t.label("alert.closed", item.close_reason or "")
    return t(
        "alert.subject.drift_closed",
        site=e.site,
        device=item.device,
        category=category,
        reason=reason,
    )


def _single_subject(e: EventView, t: Words) -> str:
    p = e.payload
    if e.kind in ("drift_opened", "drift_closed"):
        return _drift_subject(e, t)
    if e.kind == "store_unusable":
        return t("alert.subject.store_unusable", site=e.site, problem=store_problem(e, t)[0])
    return t(
        f"alert.subject.{e.kind}",
        site=e.site,
        device=e.device or "",
        job=p.get("job", ""),
        ticket=p.get("ticket", ""),
    )


def _counted_subject(n: Notification, t: Words) -> str:
    """``N things, M others`` and, when every event has a device, where (and which categories)."""
    counts = ", ".join(
        t.plural(f"alert.count.{kind}", k) for kind, k in Counter(e.kind for e in n.events).items()
    )
    if not all(e.device for e in n.events):
        return t("alert.subject.counts", site=n.site, counts=counts)
    devices = list(dict.fromkeys(str(e.device) for e in n.events))
    where = ", ".join(devices)
    if len(devices) > NAMED_IN_SUBJECT:
        where = t.plural("alert.subject.devices", len(devices))
    categories = list(
        dict.fromkeys(
            category_label(str(e.payload.get("category")), t)
            for e in n.events
            if e.kind.startswith("drift_")
        )
    )
    if not categories or len(categories) > NAMED_IN_SUBJECT:
        return t("alert.subject.counts_on", site=n.site, counts=counts, where=where)
    return t(
        "alert.subject.counts_on_categories",
        site=n.site,
        counts=counts,
        where=where,
        categories=", ".join(categories),
    )


def subject_for(n: Notification, w: Wording) -> str:
    """One event: its own subject; several: counts per kind, and where when that is short."""
    t = words(w.language)
    if n.kind == "digest":
        text = t("alert.subject.digest", site=n.site, num=len(n.events), limit=w.max_per_hour)
    elif len(n.events) == 1:
        text = _single_subject(n.events[0], t)
    else:
        text = _counted_subject(n, t)
    return subject_line(text, w)


def _digest_summary(n: Notification, w: Wording) -> list[Block]:
    t, tz = words(w.language), zone(w)
    lines = tuple(
        f"{when(e.created_at, tz, '')}  {t(f'alert.kind.{e.kind}')}  {e.device or ''}".rstrip()
        for e in n.events
    )
    return [
        Heading(t("alert.heading.digest", num=len(n.events))),
        Para(t("alert.text.digest", limit=w.max_per_hour)),
        Para(t("alert.lead.summary")),
        Code(lines),
    ]


def blocks_for(n: Notification, w: Wording) -> list[Block]:
    """Every section of a notification, in event order, with the footer when drift is shown."""
    blocks: list[Block] = _digest_summary(n, w) if n.kind == "digest" else []
    for event in n.events:
        blocks += SECTIONS[event.kind](event, w)
    if any(e.kind == "drift_opened" for e in n.events):
        blocks.append(Para(words(w.language)("alert.text.footer")))
    return blocks


def render_notification(n: Notification, w: Wording) -> Message:
    """Subject, plain text and HTML of one notification."""
    subject = subject_for(n, w)
    blocks = blocks_for(n, w)
    return Message(subject, to_text(blocks, w), to_html(blocks, w, subject))


def render_chat(n: Notification, w: Wording) -> Message:
    """Title and body of a chat message: the email's subject, short blocks (no diff); a
    digest lists its alerts in short only."""
    blocks = _digest_summary(n, w) if n.kind == "digest" else []
    if n.kind != "digest":
        for event in n.events:
            blocks += chat_blocks_of(event, w)
    body = render_template(CHAT_TEMPLATE, w, blocks=blocks).strip("\n") + "\n"
    return Message(subject_for(n, w), body)


def event_text(e: EventView, w: Wording) -> str:
    """The plain text of one event (webhook consumers show it as is)."""
    return to_text(SECTIONS[e.kind](e, w), w)


def render_drift_alert(
    item: DriftView, *, lang: str = "fr", timezone: str = "UTC", config_hint: str = ""
) -> Message:
    """Subject and plain-text body of a ``drift_opened`` alert for one item (used by the demo)."""
    config = config_hint.strip().removeprefix("-c").strip()
    wording = Wording(language=lang, timezone=timezone, config_path=config)
    t = words(lang)
    blocks: list[Block] = [Para(t("alert.text.intro")), *drift_opened_blocks(item, wording)[1:]]
    blocks.append(Para(t("alert.text.footer")))
    category = category_label(item.category, t)
    text = t("alert.subject.drift_opened", site=item.site, device=item.device, category=category)
    return Message(subject=subject_line(text, wording), body=to_text(blocks, wording))
