"""Alert texts for an unauthorized modification, in French (default) or English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from prisme_drift.models import DriftView

CATEGORY_LABELS = {
    "fr": {
        "interface": "interface",
        "vlan": "VLAN",
        "acl": "ACL",
        "routing": "routage",
        "nat": "NAT",
        "firewall": "pare-feu",
        "wifi": "Wi-Fi",
        "addressing": "adressage IP",
        "management": "administration",
        "device": "matériel",
        "other": "autre",
    },
    "en": {
        "interface": "interface",
        "vlan": "VLAN",
        "acl": "ACL",
        "routing": "routing",
        "nat": "NAT",
        "firewall": "firewall",
        "wifi": "Wi-Fi",
        "addressing": "IP addressing",
        "management": "management",
        "device": "hardware",
        "other": "other",
    },
}

REASONS = {
    "fr": {"no_ticket": "aucun ticket de changement approuvé ne couvre cette modification"},
    "en": {"no_ticket": "no approved change ticket covers this change"},
}

TEXT = {
    "fr": {
        "subject": "[prisme-drift] {site} : modification non autorisée sur {device} ({category})",
        "intro": "Une modification non autorisée a été détectée.",
        "site": "Site",
        "device": "Équipement",
        "category": "Catégorie",
        "interval": "Apparue entre",
        "and": "et",
        "unknown": "inconnu",
        "verdict": "Verdict",
        "unauthorized": "non autorisée",
        "reason": "Motif",
        "diff": "Différence (secrets masqués)",
        "remediation": "Retour à la configuration approuvée "
        "(suggestion, jamais appliquée automatiquement)",
        "accept": "Pour l'accepter après coup",
        "footer": "Règle : aucune modification réseau sans visa écrit (ticket approuvé avec "
        "fenêtre et plan de retour arrière).",
    },
    "en": {
        "subject": "[prisme-drift] {site}: unauthorized change on {device} ({category})",
        "intro": "An unauthorized change was detected.",
        "site": "Site",
        "device": "Device",
        "category": "Category",
        "interval": "Appeared between",
        "and": "and",
        "unknown": "unknown",
        "verdict": "Verdict",
        "unauthorized": "unauthorized",
        "reason": "Reason",
        "diff": "Difference (secrets masked)",
        "remediation": "Back to the approved configuration "
        "(suggested, never applied automatically)",
        "accept": "To accept it after the fact",
        "footer": "Rule: no network change without written approval (an approved ticket with a "
        "window and a rollback plan).",
    },
}


@dataclass(frozen=True)
class Message:
    """A rendered alert."""

    subject: str
    body: str


def _when(value: datetime | None, tz: ZoneInfo, unknown: str) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if value else unknown


def render_drift_alert(
    item: DriftView, *, lang: str = "fr", timezone: str = "UTC", config_hint: str = ""
) -> Message:
    """Subject and plain-text body of a ``drift_opened`` alert."""
    t = TEXT[lang]
    c = " :" if lang == "fr" else ":"  # French typography puts a space before the colon
    tz = ZoneInfo(timezone)
    category = CATEGORY_LABELS[lang].get(item.category, item.category)
    reason = REASONS[lang].get(item.reason or "", item.reason or "")
    lines = [
        t["intro"],
        "",
        f"{t['site']}{c} {item.site}",
        f"{t['device']}{c} {item.device}",
        f"{t['category']}{c} {category}",
        f"{t['interval']} {_when(item.appeared_after, tz, t['unknown'])} {t['and']} "
        f"{_when(item.opened_at, tz, t['unknown'])}",
        f"{t['verdict']}{c} {t['unauthorized']}",
        f"{t['reason']}{c} {reason}",
        "",
        f"{t['diff']}{c}",
    ]
    lines += [f"    {p}" for p in item.path]
    lines += [f"    {line}" for line in item.lines()]
    if item.remediation:
        lines += ["", f"{t['remediation']}{c}"]
        lines += [f"    {line}" for line in item.remediation]
    who = "NOM" if lang == "fr" else "NAME"
    lines += [
        "",
        f"{t['accept']}{c}",
        f'    prisme-drift{config_hint} drift accept {item.id} --by {who} --reason "..."',
        "",
        t["footer"],
    ]
    subject = t["subject"].format(site=item.site, device=item.device, category=category)
    return Message(subject=subject, body="\n".join(lines) + "\n")
