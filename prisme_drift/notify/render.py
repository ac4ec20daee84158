"""Alert texts in French (default) or English: subjects, plain text and HTML from one model.

Every event kind has a *section* builder that returns a few blocks (heading, fields, paragraph,
code); the same blocks are printed as plain text and as HTML, so the two parts of an email never
disagree. Subjects name the device and category when a message carries one drift item, and
count otherwise.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prisme_drift.models import DriftView
from prisme_drift.notify.notifier import EventView, Notification, Wording
from prisme_drift.timefmt import local_time, parse_iso

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
    "fr": {
        "no_ticket": "aucun ticket de changement approuvé ne couvre cette modification",
        "outside_window": "un ticket couvre l'équipement et la catégorie, mais pas ce moment",
        "category_not_in_scope": "le ticket ne couvre pas cette catégorie de changement",
        "device_not_in_scope": "le ticket ne couvre pas cet équipement",
        "ticket_not_approved": "le ticket n'est pas approuvé",
        "mandate_missing": "équipement sous périmètre constructeur : mandat écrit manquant",
        "ticket_closed": "le ticket était déjà clôturé quand la modification a été vue : "
        "un ticket clôturé ne couvre plus rien",
        "transitional_expired": "étape transitoire expirée et toujours en place",
    },
    "en": {
        "no_ticket": "no approved change ticket covers this change",
        "outside_window": "a ticket covers the device and category, but not this moment",
        "category_not_in_scope": "the ticket does not cover this category of change",
        "device_not_in_scope": "the ticket does not cover this device",
        "ticket_not_approved": "the ticket is not approved",
        "mandate_missing": "device under a manufacturer perimeter: written mandate missing",
        "ticket_closed": "the ticket was already closed when the change was seen: a closed "
        "ticket covers nothing more",
        "transitional_expired": "transitional step expired and still in place",
    },
}

CLOSE_REASONS = {
    "fr": {
        "reverted": "annulée sur l'équipement",
        "superseded": "remplacée par une autre modification au même endroit",
        "accepted": "acceptée après coup",
        "authorized": "couverte par un ticket approuvé",
        "device_removed": "équipement retiré de l'inventaire",
    },
    "en": {
        "reverted": "reverted on the device",
        "superseded": "replaced by another change at the same place",
        "accepted": "accepted after the fact",
        "authorized": "covered by an approved ticket",
        "device_removed": "device removed from the inventory",
    },
}

QUARANTINE_REASONS = {
    "fr": {
        "empty": "relevé vide",
        "truncated": "relevé tronqué",
        "error_text": "message d'erreur dans le relevé",
    },
    "en": {"empty": "empty fetch", "truncated": "truncated fetch", "error_text": "error text"},
}

#: Why the daemon cannot record (``store_unusable`` events): label, then what to do.
STORE_PROBLEMS = {
    "fr": {
        "disk_full": (
            "disque plein",
            "Libérer de la place sur le disque (df -h). Le service reprend de lui-même au "
            "prochain essai ; rien de ce qu'il avait enregistré n'est perdu.",
        ),
        "read_only": (
            "écriture impossible",
            "Remettre le système de fichiers en lecture-écriture, ou rendre les fichiers "
            "indiqués accessibles en écriture au compte du service. Il reprend de lui-même.",
        ),
        "corrupt": (
            "base de données corrompue",
            "Arrêter le service, mettre le fichier de côté et copier à sa place la dernière "
            "sauvegarde (dossier state/backups/), puis redémarrer le service.",
        ),
        "state_missing": (
            "dossier d'état perdu",
            "Restaurer le dossier d'état depuis une sauvegarde, ou le recréer volontairement "
            "avec la commande indiquée ci-dessus, puis recharger le service.",
        ),
        "other": (
            "stockage inutilisable",
            "Lire le détail ci-dessus et le journal du service (journalctl -u prisme-drift), "
            "réparer, puis recharger le service (systemctl reload prisme-drift).",
        ),
    },
    "en": {
        "disk_full": (
            "disk full",
            "Free space on the disk (df -h). The service resumes by itself at its next try; "
            "nothing it had recorded is lost.",
        ),
        "read_only": (
            "cannot write",
            "Remount the file system read-write, or make the files named above writable by "
            "the service account. It resumes by itself.",
        ),
        "corrupt": (
            "damaged database",
            "Stop the service, move the file aside and copy the newest backup (folder "
            "state/backups/) in its place, then start the service again.",
        ),
        "state_missing": (
            "state folder lost",
            "Restore the state folder from a backup, or re-create it on purpose with the "
            "command given above, then reload the service.",
        ),
        "other": (
            "storage unusable",
            "Read the detail above and the service's journal (journalctl -u prisme-drift), "
            "repair, then reload the service (systemctl reload prisme-drift).",
        ),
    },
}

#: Counted nouns for subjects: (one, many).
COUNTED = {
    "fr": {
        "drift_opened": ("modification non autorisée", "modifications non autorisées"),
        "drift_closed": ("modification refermée", "modifications refermées"),
        "transitional_expired": ("étape transitoire expirée", "étapes transitoires expirées"),
        "ticket_refused": ("ticket refusé", "tickets refusés"),
        "device_unreachable": ("équipement injoignable", "équipements injoignables"),
        "device_recovered": ("équipement rétabli", "équipements rétablis"),
        "fetch_quarantined": ("relevé en quarantaine", "relevés en quarantaine"),
        "hostkey_changed": ("clé SSH changée", "clés SSH changées"),
        "device_removed": (
            "équipement retiré de l'inventaire",
            "équipements retirés de l'inventaire",
        ),
        "job_failed": ("tâche en échec", "tâches en échec"),
        "store_unusable": ("surveillance suspendue", "surveillances suspendues"),
        "heartbeat": ("signe de vie", "signes de vie"),
        "test": ("test", "tests"),
    },
    "en": {
        "drift_opened": ("unauthorized change", "unauthorized changes"),
        "drift_closed": ("closed change", "closed changes"),
        "transitional_expired": ("expired transitional step", "expired transitional steps"),
        "ticket_refused": ("refused ticket", "refused tickets"),
        "device_unreachable": ("unreachable device", "unreachable devices"),
        "device_recovered": ("device reachable again", "devices reachable again"),
        "fetch_quarantined": ("quarantined fetch", "quarantined fetches"),
        "hostkey_changed": ("changed SSH host key", "changed SSH host keys"),
        "device_removed": (
            "device removed from the inventory",
            "devices removed from the inventory",
        ),
        "job_failed": ("failed job", "failed jobs"),
        "store_unusable": ("monitoring suspended", "monitoring suspended"),
        "heartbeat": ("heartbeat", "heartbeats"),
        "test": ("test", "tests"),
    },
}

TEXT = {
    "fr": {
        "subject": "[prisme-drift] {site} : modification non autorisée sur {device} ({category})",
        "s_drift_closed": "[prisme-drift] {site} : fin de la modification non autorisée sur "
        "{device} ({category}), {reason}",
        "s_device_unreachable": "[prisme-drift] {site} : {device} injoignable",
        "s_device_recovered": "[prisme-drift] {site} : {device} de nouveau joignable",
        "s_fetch_quarantined": "[prisme-drift] {site} : relevé de {device} mis en quarantaine",
        "s_hostkey_changed": "[prisme-drift] {site} : la clé SSH de {device} a changé, "
        "relevés bloqués",
        "s_device_removed": "[prisme-drift] {site} : {device} retiré de l'inventaire, "
        "plus surveillé",
        "s_transitional_expired": "[prisme-drift] {site} : étape transitoire expirée sur {device}",
        "s_ticket_refused": "[prisme-drift] {site} : ticket {ticket} refusé, il n'autorise rien",
        "s_job_failed": "[prisme-drift] {site} : échec de la tâche {job}",
        "s_store_unusable": "[prisme-drift] {site} : surveillance suspendue, {problem}",
        "s_heartbeat": "[prisme-drift] {site} : toujours en veille",
        "s_test": "[prisme-drift] {site} : courriel de test",
        "s_count": "[prisme-drift] {site} : {counts}",
        "s_digest": "[prisme-drift] {site} : résumé de {n} alertes retenues "
        "(limite de {limit} courriels par heure)",
        "on": "sur",
        "devices": "équipements",
        "intro": "Une modification non autorisée a été détectée.",
        "site": "Site",
        "client": "Client",
        "device": "Équipement",
        "category": "Catégorie",
        "interval": "Apparue",
        "between": "entre",
        "and": "et",
        "unknown": "inconnu",
        "verdict": "Verdict",
        "unauthorized": "non autorisée",
        "reason": "Motif",
        "item": "Élément de dérive",
        "diff": "Différence (secrets masqués)",
        "remediation": "Retour à la configuration approuvée "
        "(suggestion, jamais appliquée automatiquement)",
        "accept": "Pour l'accepter après coup",
        "ticket": "Pour la couvrir par un ticket de changement (fenêtre = intervalle "
        "d'apparition), puis l'approuver",
        "who": "NOM",
        "why": "référence du visa écrit",
        "rollback": "plan de retour arrière",
        "footer": "Règle : aucune modification réseau sans visa écrit (ticket approuvé avec "
        "fenêtre et plan de retour arrière).",
        "h_drift_opened": "Modification non autorisée sur {device} ({category})",
        "h_drift_closed": "Fin de la modification non autorisée sur {device} ({category})",
        "closed_because": "Fermée car",
        "opened_at": "Ouverte le",
        "closed_at": "Fermée le",
        "accepted_by": "Acceptée par",
        "h_device_unreachable": "{device} est injoignable",
        "address": "Adresse",
        "failures": "Relevés en échec consécutifs",
        "last_success": "Dernier relevé réussi",
        "never": "jamais",
        "error": "Erreur",
        "unreachable_advice": "Vérifier l'alimentation, le câblage et l'accès SSH. Tant que "
        "l'équipement est injoignable, ses modifications ne sont pas vues ; un message suivra "
        "à son retour.",
        "h_device_recovered": "{device} est de nouveau joignable",
        "recovered_at": "Relevé réussi le",
        "recovered_advice": "Les modifications faites pendant l'interruption apparaîtront comme "
        "dérives si aucun ticket ne les couvre.",
        "h_fetch_quarantined": "Relevé de {device} mis en quarantaine",
        "quarantine_reason": "Raison",
        "detail": "Détail",
        "quarantine_advice": "Ce relevé n'a pas été enregistré ni comparé : la dernière "
        "configuration valide reste la référence. Une seule alerte par série d'échecs.",
        "h_hostkey_changed": "La clé SSH de {device} a changé",
        "hostkey_advice": "Les relevés de cet équipement sont bloqués : une clé changée signale "
        "un équipement remplacé ou réinitialisé, ou une interception. Vérifier sur place "
        "l'empreinte de la nouvelle clé ; si le changement est légitime, l'accepter (jamais "
        "automatique, inscrit au journal d'audit) :",
        "h_device_removed": "{device} a été retiré de l'inventaire",
        "removed_at": "Retiré le",
        "removed_items": "Dérives ouvertes refermées (motif : équipement retiré)",
        "removed_advice": "Cet équipement n'est plus relevé : ses modifications ne sont plus "
        "vues. Son historique et sa configuration de référence restent dans le dépôt git ; s'il "
        "est remis dans l'inventaire, la surveillance reprend là où elle s'était arrêtée. Si ce "
        "retrait n'était pas voulu, remettre l'équipement dans hosts.yaml.",
        "h_transitional_expired": "Étape transitoire expirée sur {device}",
        "ticket_id": "Ticket",
        "expired_at": "Expirée le",
        "transitional_advice": "Une étape transitoire doit être rendue définitive par un ticket, "
        "ou retirée.",
        "lines": "Lignes encore présentes",
        "h_ticket_refused": "Ticket {ticket} refusé",
        "title": "Titre",
        "source": "Source",
        "where": "Origine",
        "refused_reasons": "Motifs du refus",
        "refused_advice": "Ce ticket se dit approuvé mais ne passe pas les contrôles "
        "d'approbation : il n'autorise rien, et les modifications qu'il couvrirait apparaissent "
        "comme non autorisées. Corrigez-le à sa source ; ce message n'est envoyé qu'une fois "
        "par version du ticket.",
        "h_job_failed": "Échec de la tâche {job}",
        "job": "Tâche",
        "at": "Le",
        "h_store_unusable": "Surveillance suspendue sur {site} : {problem}",
        "store_intro": "prisme-drift ne peut plus enregistrer ses relevés : aucune modification "
        "n'est détectée ni alertée tant que ce n'est pas réparé. Ce message est envoyé une seule "
        "fois par incident, sans passer par la base de données.",
        "since": "Depuis",
        "to_do": "Que faire",
        "retry_every": "Nouvel essai automatique toutes les",
        "h_heartbeat": "prisme-drift veille toujours sur {site}",
        "heartbeat_intro": "Ce message périodique prouve que la surveillance fonctionne : "
        "son absence est une alerte.",
        "watched": "Équipements suivis",
        "open_drift": "Dérives ouvertes",
        "statuses": "Dernier relevé",
        "period": "Période",
        "h_test": "Courriel de test",
        "test_body": "Si vous lisez ce message, les alertes de prisme-drift arrivent jusqu'à vous.",
        "h_digest": "Résumé de {n} alertes retenues",
        "digest_intro": "Plus de {limit} courriels par heure ont été nécessaires pour ce site : "
        "les alertes suivantes sont regroupées ici, rien n'est perdu.",
        "summary": "En bref",
    },
    "en": {
        "subject": "[prisme-drift] {site}: unauthorized change on {device} ({category})",
        "s_drift_closed": "[prisme-drift] {site}: unauthorized change on {device} ({category}) "
        "closed, {reason}",
        "s_device_unreachable": "[prisme-drift] {site}: {device} unreachable",
        "s_device_recovered": "[prisme-drift] {site}: {device} reachable again",
        "s_fetch_quarantined": "[prisme-drift] {site}: fetch of {device} quarantined",
        "s_hostkey_changed": "[prisme-drift] {site}: SSH host key of {device} changed, "
        "polls blocked",
        "s_device_removed": "[prisme-drift] {site}: {device} removed from the inventory, "
        "no longer watched",
        "s_transitional_expired": "[prisme-drift] {site}: transitional step expired on {device}",
        "s_ticket_refused": "[prisme-drift] {site}: ticket {ticket} refused, it authorizes nothing",
        "s_job_failed": "[prisme-drift] {site}: job {job} failed",
        "s_store_unusable": "[prisme-drift] {site}: monitoring suspended, {problem}",
        "s_heartbeat": "[prisme-drift] {site}: still watching",
        "s_test": "[prisme-drift] {site}: test email",
        "s_count": "[prisme-drift] {site}: {counts}",
        "s_digest": "[prisme-drift] {site}: digest of {n} held alerts "
        "(limit of {limit} emails per hour)",
        "on": "on",
        "devices": "devices",
        "intro": "An unauthorized change was detected.",
        "site": "Site",
        "client": "Client",
        "device": "Device",
        "category": "Category",
        "interval": "Appeared",
        "between": "between",
        "and": "and",
        "unknown": "unknown",
        "verdict": "Verdict",
        "unauthorized": "unauthorized",
        "reason": "Reason",
        "item": "Drift item",
        "diff": "Difference (secrets masked)",
        "remediation": "Back to the approved configuration "
        "(suggested, never applied automatically)",
        "accept": "To accept it after the fact",
        "ticket": "To cover it with a change ticket (window = the interval it appeared in), "
        "then approve it",
        "who": "NAME",
        "why": "reference of the written approval",
        "rollback": "rollback plan",
        "footer": "Rule: no network change without written approval (an approved ticket with a "
        "window and a rollback plan).",
        "h_drift_opened": "Unauthorized change on {device} ({category})",
        "h_drift_closed": "Unauthorized change on {device} ({category}) closed",
        "closed_because": "Closed because",
        "opened_at": "Opened",
        "closed_at": "Closed",
        "accepted_by": "Accepted by",
        "h_device_unreachable": "{device} is unreachable",
        "address": "Address",
        "failures": "Consecutive failed polls",
        "last_success": "Last good poll",
        "never": "never",
        "error": "Error",
        "unreachable_advice": "Check power, cabling and SSH access. While the device is "
        "unreachable its changes are not seen; a message follows when it is back.",
        "h_device_recovered": "{device} is reachable again",
        "recovered_at": "Good poll at",
        "recovered_advice": "Changes made during the outage show up as drift unless a ticket "
        "covers them.",
        "h_fetch_quarantined": "Fetch of {device} quarantined",
        "quarantine_reason": "Reason",
        "detail": "Detail",
        "quarantine_advice": "This fetch was neither stored nor compared: the last good "
        "configuration stays the reference. One alert per streak of bad fetches.",
        "h_hostkey_changed": "The SSH host key of {device} changed",
        "hostkey_advice": "Polls of this device are blocked: a changed key means a replaced or "
        "reset device, or an interception. Check the new key's fingerprint on site; if the "
        "change is legitimate, accept it (never automatic, recorded in the audit trail):",
        "h_device_removed": "{device} was removed from the inventory",
        "removed_at": "Removed",
        "removed_items": "Open drift items closed (reason: device removed)",
        "removed_advice": "This device is no longer polled: its changes are no longer seen. Its "
        "history and approved baseline stay in the git repository; if it is put back in the "
        "inventory, monitoring resumes where it stopped. If the removal was not intended, put "
        "the device back in hosts.yaml.",
        "h_transitional_expired": "Transitional step expired on {device}",
        "ticket_id": "Ticket",
        "expired_at": "Expired",
        "transitional_advice": "A transitional step must be made definitive by a ticket, or "
        "removed.",
        "lines": "Lines still present",
        "h_ticket_refused": "Ticket {ticket} refused",
        "title": "Title",
        "source": "Source",
        "where": "From",
        "refused_reasons": "Why it is refused",
        "refused_advice": "This ticket says it is approved but fails the approval checks: it "
        "authorizes nothing, and the changes it would cover show as unauthorized. Fix it at "
        "its source; this message is sent once per version of the ticket.",
        "h_job_failed": "Job {job} failed",
        "job": "Job",
        "at": "At",
        "h_store_unusable": "Monitoring suspended on {site}: {problem}",
        "store_intro": "prisme-drift can no longer record its polls: no change is detected or "
        "alerted until this is repaired. This message is sent once per incident, without going "
        "through the database.",
        "since": "Since",
        "to_do": "What to do",
        "retry_every": "Automatic retry every",
        "h_heartbeat": "prisme-drift is still watching {site}",
        "heartbeat_intro": "This periodic message proves that monitoring works: its absence is "
        "an alert.",
        "watched": "Devices watched",
        "open_drift": "Open drift items",
        "statuses": "Last poll",
        "period": "Period",
        "h_test": "Test email",
        "test_body": "If you read this, prisme-drift alerts reach you.",
        "h_digest": "Digest of {n} held alerts",
        "digest_intro": "This site needed more than {limit} emails in an hour: the following "
        "alerts are grouped here, nothing is lost.",
        "summary": "In short",
    },
}


# --------------------------------------------------------------------------- document model


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Fields:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Code:
    lines: tuple[str, ...]


Block = Heading | Para | Fields | Code


@dataclass(frozen=True)
class Message:
    """A rendered alert: subject and plain text (``html`` for email)."""

    subject: str
    body: str
    html: str = ""


def _colon(lang: str) -> str:
    """French typography puts a space before the colon."""
    return " :" if lang == "fr" else ":"


def to_text(blocks: Sequence[Block], lang: str) -> str:
    """Plain text: headings underlined, fields one per line, code indented by four spaces."""
    out: list[str] = []
    c = _colon(lang)
    for block in blocks:
        if isinstance(block, Heading):
            out += ["", block.text, "=" * len(block.text)]
        elif isinstance(block, Para):
            out += ["", block.text]
        elif isinstance(block, Fields):
            out += [""] + [f"{label}{c} {value}" for label, value in block.rows]
        else:
            out += [f"    {line}" for line in block.lines]
    return "\n".join(out).strip("\n") + "\n"


def _html_line(line: str) -> str:
    colour = {"+": "#1a7f37", "-": "#cf222e"}.get(line[:1])
    text = html.escape(line)
    return f'<span style="color:{colour}">{text}</span>' if colour else text


def to_html(blocks: Sequence[Block], lang: str, title: str) -> str:
    """A small self-contained HTML document (inline styles: mail clients drop style sheets)."""
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;font-size:14px;color:#1f2328">'
    ]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f'<h2 style="font-size:17px">{html.escape(block.text)}</h2>')
        elif isinstance(block, Para):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Fields):
            rows = "".join(
                f'<tr><th style="text-align:left;padding-right:12px">{html.escape(label)}</th>'
                f"<td>{html.escape(value)}</td></tr>"
                for label, value in block.rows
            )
            parts.append(f"<table>{rows}</table>")
        else:
            lines = "\n".join(_html_line(line) for line in block.lines)
            parts.append(
                '<pre style="background:#f6f8fa;padding:8px;font-size:13px">' + lines + "</pre>"
            )
    parts.append("</body></html>")
    return "".join(parts) + "\n"


# --------------------------------------------------------------------------- helpers


def _when(value: datetime | None, tz: ZoneInfo, unknown: str) -> str:
    """What a reader sees: ``2026-12-01 09:14:03 +04:00`` in the site's timezone."""
    return local_time(value, tz, empty=unknown)


def _iso_local(value: datetime | None, tz: ZoneInfo, *, ceil: bool = False) -> str:
    """ISO 8601 to the second in the site's timezone; ``ceil`` rounds up (a window's end)."""
    if value is None:
        return "ISO-DATE"
    if ceil and value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.astimezone(tz).isoformat(timespec="seconds")


def _parse_time(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


def _one_line(text: str) -> str:
    """Header-safe: no line breaks."""
    return " ".join(str(text).split())


def category_label(category: str, lang: str) -> str:
    return CATEGORY_LABELS[lang].get(category, category)


def view_from_payload(payload: Mapping[str, Any]) -> DriftView:
    """The DriftView a drift event recorded (``DriftView.as_dict`` read back)."""
    return DriftView(
        id=int(payload["id"]),
        site=str(payload["site"]),
        device=str(payload["device"]),
        category=str(payload["category"]),
        verdict=str(payload["verdict"]),
        reason=payload.get("reason"),
        opened_at=_parse_time(payload["opened_at"]) or datetime.min,
        closed_at=_parse_time(payload.get("closed_at")),
        close_reason=payload.get("close_reason"),
        appeared_after=_parse_time(payload.get("appeared_after")),
        path=tuple(payload.get("path", ())),
        removed=tuple(payload.get("removed", ())),
        added=tuple(payload.get("added", ())),
        remediation=tuple(payload.get("remediation", ())),
        accepted_by=payload.get("accepted_by"),
        accept_reason=payload.get("accept_reason"),
    )


def _cmd(wording: Wording) -> str:
    hint = f" -c {wording.config_path}" if wording.config_path else ""
    return f"prisme-drift{hint}"


# --------------------------------------------------------------------------- sections


def _drift_fields(item: DriftView, w: Wording) -> list[tuple[str, str]]:
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    rows = [(t["site"], item.site)]
    if w.client:
        rows.append((t["client"], w.client))
    rows += [
        (t["device"], item.device),
        (t["category"], category_label(item.category, w.language)),
        (
            t["interval"],
            f"{t['between']} {_when(item.appeared_after, tz, t['unknown'])} {t['and']} "
            f"{_when(item.opened_at, tz, t['unknown'])}",
        ),
    ]
    return rows


def _diff_lines(item: DriftView) -> tuple[str, ...]:
    return tuple(f"  {p}" for p in item.path) + tuple(item.lines())


def _ticket_commands(item: DriftView, w: Wording) -> tuple[str, ...]:
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    start = _iso_local(item.appeared_after or item.opened_at, tz)
    end = _iso_local(item.opened_at, tz, ceil=True)
    return (
        f'{_cmd(w)} ticket add CHG-XXXX --title "..." --device {item.device} '
        f'--category {item.category} --start {start} --end {end} --rollback "{t["rollback"]}"',
        f'{_cmd(w)} ticket approve CHG-XXXX --by {t["who"]} --ref "{t["why"]}"',
    )


def drift_opened_blocks(item: DriftView, w: Wording) -> list[Block]:
    """An unauthorized change: where, when, the diff, the verdict, what to do."""
    t = TEXT[w.language]
    c = _colon(w.language)
    reason = REASONS[w.language].get(item.reason or "", item.reason or "")
    category = category_label(item.category, w.language)
    blocks: list[Block] = [
        Heading(t["h_drift_opened"].format(device=item.device, category=category)),
        Fields(
            (
                *_drift_fields(item, w),
                (t["verdict"], t["unauthorized"]),
                (t["reason"], reason),
                (t["item"], str(item.id)),
            )
        ),
        Para(f"{t['diff']}{c}"),
        Code(_diff_lines(item)),
    ]
    if item.remediation:
        blocks += [Para(f"{t['remediation']}{c}"), Code(tuple(item.remediation))]
    accept = f'{_cmd(w)} drift accept {item.id} --by {t["who"]} --reason "{t["why"]}"'
    blocks += [
        Para(f"{t['accept']}{c}"),
        Code((accept,)),
        Para(f"{t['ticket']}{c}"),
        Code(_ticket_commands(item, w)),
    ]
    return blocks


def drift_closed_blocks(item: DriftView, w: Wording) -> list[Block]:
    """A drift item that closed: why, and what it was."""
    t = TEXT[w.language]
    c = _colon(w.language)
    tz = ZoneInfo(w.timezone)
    category = category_label(item.category, w.language)
    why = CLOSE_REASONS[w.language].get(item.close_reason or "", item.close_reason or "")
    rows = [
        (t["device"], item.device),
        (t["category"], category),
        (t["closed_because"], why),
        (t["opened_at"], _when(item.opened_at, tz, t["unknown"])),
        (t["closed_at"], _when(item.closed_at, tz, t["unknown"])),
        (t["item"], str(item.id)),
    ]
    if item.accepted_by:
        rows.append((t["accepted_by"], f"{item.accepted_by} ({item.accept_reason or ''})"))
    return [
        Heading(t["h_drift_closed"].format(device=item.device, category=category)),
        Fields(tuple(rows)),
        Para(f"{t['diff']}{c}"),
        Code(_diff_lines(item)),
    ]


def _device_rows(p: Mapping[str, Any], w: Wording) -> list[tuple[str, str]]:
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    rows = [(t["device"], str(p.get("device", "")))]
    if p.get("hostname"):
        rows.append((t["address"], f"{p['hostname']}:{p.get('port') or 22}"))
    rows.append((t["last_success"], _when(_parse_time(p.get("last_success_at")), tz, t["never"])))
    if p.get("error_kind"):
        rows.append((t["error"], f"{p['error_kind']}: {p.get('error') or ''}"))
    return rows


def device_unreachable_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    rows = [*_device_rows(e.payload, w), (t["failures"], str(e.payload.get("failures", "")))]
    return [
        Heading(t["h_device_unreachable"].format(device=e.device)),
        Fields(tuple(rows)),
        Para(t["unreachable_advice"]),
    ]


def device_recovered_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    rows = [*_device_rows(e.payload, w), (t["recovered_at"], _when(e.created_at, tz, ""))]
    return [
        Heading(t["h_device_recovered"].format(device=e.device)),
        Fields(tuple(rows[:1] + rows[-2:])),
        Para(t["recovered_advice"]),
    ]


def fetch_quarantined_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    kind = str(e.payload.get("error_kind") or "")
    rows = [
        (t["device"], str(e.device)),
        (t["quarantine_reason"], QUARANTINE_REASONS[w.language].get(kind, kind)),
        (t["detail"], str(e.payload.get("error") or "")),
    ]
    return [
        Heading(t["h_fetch_quarantined"].format(device=e.device)),
        Fields(tuple(rows)),
        Para(t["quarantine_advice"]),
    ]


def hostkey_changed_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    return [
        Heading(t["h_hostkey_changed"].format(device=e.device)),
        Fields(tuple(_device_rows(e.payload, w))),
        Para(t["hostkey_advice"]),
        Code((f"{_cmd(w)} hostkey accept {e.device}",)),
    ]


def device_removed_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: the device's last known address and poll, ``removed_at``, ``closed_items``."""
    t = TEXT[w.language]
    p = e.payload
    tz = ZoneInfo(w.timezone)
    rows = [
        *_device_rows(p, w),
        (t["removed_at"], _when(_parse_time(p.get("removed_at")), tz, t["unknown"])),
    ]
    blocks: list[Block] = [
        Heading(t["h_device_removed"].format(device=e.device)),
        Fields(tuple(rows)),
        Para(t["removed_advice"]),
    ]
    items = [
        f"#{i.get('id')}  {category_label(str(i.get('category')), w.language)}  "
        f"{' / '.join(i.get('path') or []) or (i.get('lines') or [''])[0]}".rstrip()
        for i in p.get("closed_items") or []
    ]
    if items:
        blocks += [Para(f"{t['removed_items']}{_colon(w.language)}"), Code(tuple(items))]
    return blocks


def transitional_expired_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``ticket``, ``device``, optional ``category``, ``expired_at``, ``lines``."""
    t = TEXT[w.language]
    p = e.payload
    tz = ZoneInfo(w.timezone)
    rows = [
        (t["ticket_id"], str(p.get("ticket", ""))),
        (t["device"], str(e.device or p.get("device", ""))),
        (t["expired_at"], _when(_parse_time(p.get("expired_at")), tz, t["unknown"])),
    ]
    if p.get("category"):
        rows.insert(2, (t["category"], category_label(str(p["category"]), w.language)))
    blocks: list[Block] = [
        Heading(t["h_transitional_expired"].format(device=e.device or p.get("device", ""))),
        Fields(tuple(rows)),
        Para(t["transitional_advice"]),
    ]
    if p.get("lines"):
        blocks += [Para(f"{t['lines']}{_colon(w.language)}"), Code(tuple(p["lines"]))]
    return blocks


def ticket_refused_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``ticket``, ``title``, ``source``, ``where``, ``reasons``."""
    t = TEXT[w.language]
    p = e.payload
    rows = (
        (t["ticket_id"], str(p.get("ticket", ""))),
        (t["title"], str(p.get("title", ""))),
        (t["source"], str(p.get("source", ""))),
        (t["where"], str(p.get("where", ""))),
    )
    return [
        Heading(t["h_ticket_refused"].format(ticket=p.get("ticket", ""))),
        Fields(rows),
        Para(f"{t['refused_reasons']}{_colon(w.language)}"),
        Code(tuple(f"- {r}" for r in p.get("reasons", []))),
        Para(t["refused_advice"]),
    ]


def job_failed_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``job``, ``error``."""
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    job = str(e.payload.get("job", ""))
    rows = (
        (t["job"], job),
        (t["at"], _when(e.created_at, tz, "")),
        (t["error"], str(e.payload.get("error", ""))),
    )
    return [Heading(t["h_job_failed"].format(job=job)), Fields(rows)]


def store_problem(e: EventView, lang: str) -> tuple[str, str]:
    """(label, what to do) of a ``store_unusable`` event."""
    problems = STORE_PROBLEMS[lang]
    return problems.get(str(e.payload.get("problem", "")), problems["other"])


def store_unusable_blocks(e: EventView, w: Wording) -> list[Block]:
    """Payload: ``problem``, ``error``, ``failing_since``, ``retry_every`` (text or absent)."""
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    label, advice = store_problem(e, w.language)
    rows = [
        (t["site"], e.site),
        (t["since"], _when(_parse_time(e.payload.get("failing_since")), tz, t["unknown"])),
        (t["error"], str(e.payload.get("error", ""))),
    ]
    if e.payload.get("retry_every"):
        rows.append((t["retry_every"], str(e.payload["retry_every"])))
    return [
        Heading(t["h_store_unusable"].format(site=e.site, problem=label)),
        Para(t["store_intro"]),
        Fields(tuple(rows)),
        Para(f"{t['to_do']}{_colon(w.language)} {advice}"),
    ]


def heartbeat_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    p = e.payload
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(dict(p.get("statuses", {})).items()) if v)
    rows = (
        (t["site"], e.site),
        (t["watched"], str(p.get("devices", ""))),
        (t["statuses"], statuses),
        (t["open_drift"], str(p.get("open_drift", ""))),
        (t["period"], str(p.get("period", ""))),
    )
    return [Heading(t["h_heartbeat"].format(site=e.site)), Para(t["heartbeat_intro"]), Fields(rows)]


def test_blocks(e: EventView, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    return [Heading(t["h_test"]), Para(t["test_body"]), Fields(((t["site"], e.site),))]


SECTIONS: dict[str, Callable[[EventView, Wording], list[Block]]] = {
    "drift_opened": lambda e, w: drift_opened_blocks(view_from_payload(e.payload), w),
    "drift_closed": lambda e, w: drift_closed_blocks(view_from_payload(e.payload), w),
    "transitional_expired": transitional_expired_blocks,
    "ticket_refused": ticket_refused_blocks,
    "device_unreachable": device_unreachable_blocks,
    "device_recovered": device_recovered_blocks,
    "fetch_quarantined": fetch_quarantined_blocks,
    "hostkey_changed": hostkey_changed_blocks,
    "device_removed": device_removed_blocks,
    "job_failed": job_failed_blocks,
    "store_unusable": store_unusable_blocks,
    "heartbeat": heartbeat_blocks,
    "test": test_blocks,
}


# --------------------------------------------------------------------------- subjects


def _single_subject(e: EventView, w: Wording) -> str:
    t = TEXT[w.language]
    p = e.payload
    if e.kind in ("drift_opened", "drift_closed"):
        item = view_from_payload(p)
        category = category_label(item.category, w.language)
        if e.kind == "drift_opened":
            return t["subject"].format(site=e.site, device=item.device, category=category)
        reason = CLOSE_REASONS[w.language].get(item.close_reason or "", item.close_reason or "")
        return t["s_drift_closed"].format(
            site=e.site, device=item.device, category=category, reason=reason
        )
    if e.kind == "store_unusable":
        return t["s_store_unusable"].format(site=e.site, problem=store_problem(e, w.language)[0])
    return t[f"s_{e.kind}"].format(
        site=e.site, device=e.device or "", job=p.get("job", ""), ticket=p.get("ticket", "")
    )


def _places(events: Sequence[EventView], lang: str) -> str:
    """`` sur sw01, sw02 (VLAN)`` when every event has a device; few are named, many counted."""
    t = TEXT[lang]
    if not all(e.device for e in events):
        return ""
    devices = list(dict.fromkeys(str(e.device) for e in events))
    where = ", ".join(devices) if len(devices) <= 3 else f"{len(devices)} {t['devices']}"
    categories = list(
        dict.fromkeys(
            category_label(str(e.payload.get("category")), lang)
            for e in events
            if e.kind.startswith("drift_")
        )
    )
    what = f" ({', '.join(categories)})" if categories and len(categories) <= 3 else ""
    return f" {t['on']} {where}{what}"


def subject_for(n: Notification, w: Wording) -> str:
    """One event: its own subject; several: counts per kind, and where when that is short."""
    t = TEXT[w.language]
    if n.kind == "digest":
        return t["s_digest"].format(site=n.site, n=len(n.events), limit=w.max_per_hour)
    if len(n.events) == 1:
        return _one_line(_single_subject(n.events[0], w))
    counts = Counter(e.kind for e in n.events)
    words = COUNTED[w.language]
    parts = [f"{k} {words[kind][0 if k == 1 else 1]}" for kind, k in counts.items()]
    places = _places(n.events, w.language)
    return _one_line(t["s_count"].format(site=n.site, counts=", ".join(parts)) + places)


# --------------------------------------------------------------------------- whole messages


def _digest_summary(n: Notification, w: Wording) -> list[Block]:
    t = TEXT[w.language]
    tz = ZoneInfo(w.timezone)
    words = COUNTED[w.language]
    lines = tuple(
        f"{_when(e.created_at, tz, '')}  {words[e.kind][0]}  {e.device or ''}".rstrip()
        for e in n.events
    )
    return [
        Heading(t["h_digest"].format(n=len(n.events))),
        Para(t["digest_intro"].format(limit=w.max_per_hour)),
        Para(f"{t['summary']}{_colon(w.language)}"),
        Code(lines),
    ]


def blocks_for(n: Notification, w: Wording) -> list[Block]:
    """Every section of a notification, in event order, with the footer when drift is shown."""
    blocks: list[Block] = _digest_summary(n, w) if n.kind == "digest" else []
    for event in n.events:
        blocks += SECTIONS[event.kind](event, w)
    if any(e.kind == "drift_opened" for e in n.events):
        blocks.append(Para(TEXT[w.language]["footer"]))
    return blocks


def render_notification(n: Notification, w: Wording) -> Message:
    """Subject, plain text and HTML of one notification."""
    subject = subject_for(n, w)
    blocks = blocks_for(n, w)
    return Message(subject, to_text(blocks, w.language), to_html(blocks, w.language, subject))


def event_text(e: EventView, w: Wording) -> str:
    """The plain text of one event (webhook consumers show it as is)."""
    return to_text(SECTIONS[e.kind](e, w), w.language)


def render_drift_alert(
    item: DriftView, *, lang: str = "fr", timezone: str = "UTC", config_hint: str = ""
) -> Message:
    """Subject and plain-text body of a ``drift_opened`` alert for one item (used by the demo)."""
    config = config_hint.strip().removeprefix("-c").strip()
    wording = Wording(language=lang, timezone=timezone, config_path=config)
    t = TEXT[lang]
    category = category_label(item.category, lang)
    blocks: list[Block] = [Para(t["intro"]), *drift_opened_blocks(item, wording)[1:]]
    blocks.append(Para(t["footer"]))
    subject = t["subject"].format(site=item.site, device=item.device, category=category)
    return Message(subject=subject, body=to_text(blocks, lang))
