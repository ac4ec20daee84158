"""Short versions of the sections, for chat channels (WhatsApp, Teams, Telegram, Matrix ...).

A chat message says what happened and what to type, no more: for an unauthorized change the
site, device, category, verdict, a one-line summary of the change, the item id and the commands
to accept it or cover it with a ticket. Diffs, rollback suggestions and other long code blocks
stay in the email and the documents. Words come from the same catalogs as email.
"""

from __future__ import annotations

from prisme_drift.models import DriftView
from prisme_drift.notify.sections import SECTIONS
from prisme_drift.notify.sections.common import (
    Block,
    Code,
    EventView,
    Fields,
    Heading,
    Para,
    Wording,
    category_label,
    text,
)
from prisme_drift.notify.sections.drift import (
    accept_command,
    ticket_commands,
    view_from_payload,
)


def one_line_summary(item: DriftView, w: Wording) -> str:
    """``interface Gi1/0/3: + switchport access vlan 40 (2 changed lines)``."""
    lines = item.lines()
    added = [line for line in lines if line.startswith("+")]
    first = (added or lines or [""])[0]  # what is there now says most
    where = item.path[-1].strip() if item.path else ""
    shown = f"{where}: {first}" if where else first
    return text(w).plural("alert.chat.changed", len(lines), first=shown)


def drift_opened_chat(e: EventView, w: Wording) -> list[Block]:
    """An unauthorized change in a few lines, with the commands to accept or cover it."""
    t = text(w)
    item = view_from_payload(e.payload)
    category = category_label(item.category, t)
    return [
        Heading(t("alert.heading.drift_opened", device=item.device, category=category)),
        Fields(
            (
                (t("alert.field.site"), item.site),
                (t("alert.field.device"), item.device),
                (t("alert.field.category"), category),
                (t("alert.field.verdict"), t("alert.value.unauthorized")),
                (t("alert.field.summary"), one_line_summary(item, w)),
                (t("alert.field.item"), str(item.id)),
            )
        ),
        Para(t("alert.lead.accept")),
        Code((accept_command(item, w),)),
        Para(t("alert.lead.ticket")),
        Code(ticket_commands(item, w)),
    ]


def short_section(e: EventView, w: Wording) -> list[Block]:
    """Any other event: its email section without code blocks nor the lines that lead to
    them (a diff, the lines still present ...)."""
    blocks = SECTIONS[e.kind](e, w)
    kept: list[Block] = []
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        if isinstance(block, Code) or (isinstance(block, Para) and isinstance(following, Code)):
            continue
        kept.append(block)
    return kept


def chat_blocks_of(e: EventView, w: Wording) -> list[Block]:
    """The chat blocks of one event."""
    return drift_opened_chat(e, w) if e.kind == "drift_opened" else short_section(e, w)
