"""Wording of notifications (fr/en), the storm plan and the backoff: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from prisme_drift.config import NotifySettings
from prisme_drift.normalize import FingerprintKey
from prisme_drift.notify.notifier import EventView, Notification, Wording
from prisme_drift.notify.outbox import backoff, plan_storm
from prisme_drift.notify.poll_events import _redacted
from prisme_drift.notify.render import render_notification, subject_for
from prisme_drift.scrub import scrub

OPENED = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
BEFORE = OPENED - timedelta(minutes=15)
CONFIG = "/srv/prisme/cabinet-dupont/prisme-drift.toml"


def drift(item_id: int = 7, device: str = "sw02", category: str = "vlan", **kw: Any) -> EventView:
    payload = {
        "id": item_id,
        "site": "cabinet-dupont",
        "device": device,
        "category": category,
        "verdict": "unauthorized",
        "reason": "no_ticket",
        "opened_at": OPENED.isoformat(),
        "closed_at": None,
        "close_reason": None,
        "appeared_after": BEFORE.isoformat(),
        "path": ["interface GigabitEthernet1/0/3"],
        "removed": ["switchport access vlan 10"],
        "added": ["switchport access vlan 40"],
        "remediation": ["interface GigabitEthernet1/0/3", " switchport access vlan 10"],
    }
    payload.update(kw)
    kind = "drift_closed" if payload.get("closed_at") else "drift_opened"
    return EventView(item_id, kind, "cabinet-dupont", device, OPENED, payload)


def note(*events: EventView, kind: str = "events") -> Notification:
    return Notification("cabinet-dupont", kind, events, OPENED, 12)


FR = Wording("fr", "Indian/Reunion", CONFIG, "Cabinet Dupont")
EN = Wording("en", "Indian/Reunion", CONFIG, "Cabinet Dupont")


def test_email_times_are_in_the_site_zone_with_offset_to_the_second() -> None:
    """One convention for every time a person reads: site zone, offset, no microseconds."""
    opened = datetime(2026, 11, 26, 10, 5, 3, 123456, tzinfo=UTC)
    event = drift(opened_at=opened.isoformat(), closed_at=(opened + timedelta(hours=1)).isoformat())
    body = render_notification(note(event), EN).body
    assert "Opened: 2026-11-26 14:05:03 +04:00" in body
    assert "Closed: 2026-11-26 15:05:03 +04:00" in body
    assert "123456" not in body and "10:05" not in body  # no microseconds, no UTC
    paris = Wording("en", "Europe/Paris", CONFIG, "Cabinet Dupont")
    assert "Opened: 2026-11-26 11:05:03 +01:00" in render_notification(note(event), paris).body


def test_french_subject_names_device_and_category() -> None:
    assert (
        subject_for(note(drift()), FR)
        == "[prisme-drift] cabinet-dupont : modification non autorisée sur sw02 (VLAN)"
    )


def test_english_subject() -> None:
    assert (
        subject_for(note(drift()), EN)
        == "[prisme-drift] cabinet-dupont: unauthorized change on sw02 (VLAN)"
    )


def test_several_items_are_counted() -> None:
    two = note(drift(1), drift(2, category="acl"))
    assert subject_for(two, FR) == (
        "[prisme-drift] cabinet-dupont : 2 modifications non autorisées sur sw02 (VLAN, ACL)"
    )
    many = note(*(drift(i, device=f"sw{i:02d}") for i in range(1, 6)))
    assert subject_for(many, EN) == (
        "[prisme-drift] cabinet-dupont: 5 unauthorized changes on 5 devices (VLAN)"
    )


def test_closed_item_subject_says_why() -> None:
    closed = drift(closed_at=(OPENED + timedelta(hours=1)).isoformat(), close_reason="reverted")
    assert subject_for(note(closed), FR) == (
        "[prisme-drift] cabinet-dupont : fin de la modification non autorisée sur sw02 (VLAN), "
        "annulée sur l'équipement"
    )


def test_body_has_everything_to_act_on() -> None:
    message = render_notification(note(drift()), FR)
    body = message.body
    assert "Site : cabinet-dupont" in body and "Client : Cabinet Dupont" in body
    assert "Équipement : sw02" in body and "Catégorie : VLAN" in body
    # the interval, in the site's timezone (Réunion is UTC+4)
    assert "Apparue : entre 2026-11-26 13:50:00 +04:00 et 2026-11-26 14:05:00 +04:00" in body
    assert "    - switchport access vlan 10\n    + switchport access vlan 40" in body
    assert "Verdict : non autorisée" in body
    assert "aucun ticket de changement approuvé" in body
    assert " switchport access vlan 10" in body.split("Retour à la configuration")[1]
    assert f'prisme-drift -c {CONFIG} drift accept 7 --by NOM --reason "' in body
    assert f"prisme-drift -c {CONFIG} ticket add CHG-XXXX" in body
    assert (
        "--device sw02 --category vlan --start 2026-11-26T13:50:00+04:00 "
        "--end 2026-11-26T14:05:00+04:00" in body
    )
    assert "visa écrit" in body


def test_html_part_is_escaped_and_complete() -> None:
    event = drift(
        added=["description <script>alert(1)</script>", "snmp-server community <secret:ab>"]
    )
    message = render_notification(note(event), FR)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html and "&lt;secret:ab&gt;" in message.html
    assert message.html.startswith("<!DOCTYPE html>") and 'lang="fr"' in message.html
    assert "drift accept 7" in message.html


def test_digest_says_why_and_lists_everything() -> None:
    events = [drift(i, device=f"dev-{i:02d}") for i in range(1, 32)]
    message = render_notification(note(*events, kind="digest"), FR)
    assert message.subject == (
        "[prisme-drift] cabinet-dupont : résumé de 31 alertes retenues "
        "(limite de 20 courriels par heure)"
    )
    for i in range(1, 32):
        assert f"dev-{i:02d}" in message.body


def test_device_events_are_worded() -> None:
    unreachable = EventView(
        1,
        "device_unreachable",
        "cabinet-dupont",
        "sw03",
        OPENED,
        {"device": "sw03", "hostname": "10.0.0.3", "port": 22, "failures": 3,
         "error_kind": "unreachable", "error": "connection refused",
         "last_success_at": BEFORE.isoformat()},
    )  # fmt: skip
    message = render_notification(note(unreachable), FR)
    assert message.subject == "[prisme-drift] cabinet-dupont : sw03 injoignable"
    assert "Relevés en échec consécutifs : 3" in message.body
    assert "10.0.0.3:22" in message.body


def removed_event() -> EventView:
    closed = drift(12, closed_at=OPENED.isoformat(), close_reason="device_removed").payload
    payload = {
        "device": "sw02",
        "platform": "ios",
        "hostname": "10.0.0.2",
        "port": 22,
        "last_success_at": BEFORE.isoformat(),
        "removed_at": OPENED.isoformat(),
        "closed_items": [{**closed, "lines": ["+ switchport access vlan 40"]}],
    }
    return EventView(3, "device_removed", "cabinet-dupont", "sw02", OPENED, payload)


def test_device_removed_is_worded_in_french_and_english() -> None:
    fr = render_notification(note(removed_event()), FR)
    assert fr.subject == (
        "[prisme-drift] cabinet-dupont : sw02 retiré de l'inventaire, plus surveillé"
    )
    assert "sw02 a été retiré de l'inventaire" in fr.body
    assert "Retiré le : 2026-11-26 14:05:00 +04:00" in fr.body
    assert "restent dans le dépôt git" in fr.body
    assert "Dérives ouvertes refermées (motif : équipement retiré) :" in fr.body
    assert "    #12  VLAN  interface GigabitEthernet1/0/3" in fr.body
    en = render_notification(note(removed_event()), EN)
    assert en.subject == (
        "[prisme-drift] cabinet-dupont: sw02 removed from the inventory, no longer watched"
    )
    assert "stay in the git repository" in en.body and "#12  VLAN" in en.body
    both = render_notification(note(removed_event(), drift(13)), EN)
    assert "1 device removed from the inventory" in both.subject


def test_changed_host_key_gives_the_accept_command() -> None:
    payload = {"device": "sw01", "hostname": "10.0.0.1", "port": 22, "error_kind": "hostkey",
               "error": "the SSH host key of sw01 (10.0.0.1) changed: pinned ssh-ed25519 "
               "SHA256:old, the device now presents ssh-ed25519 SHA256:new"}  # fmt: skip
    event = EventView(4, "hostkey_changed", "cabinet-dupont", "sw01", OPENED, payload)
    for wording in (FR, EN):
        body = render_notification(note(event), wording).body
        assert f"    prisme-drift -c {CONFIG} hostkey accept sw01" in body
        assert "SHA256:old" in body and "SHA256:new" in body
        assert "ssh-keygen" not in body


@pytest.mark.parametrize(
    ("due", "sent", "send", "fold"),
    [
        (5, 0, 5, 0),  # fits
        (20, 0, 20, 0),  # exactly fits
        (50, 0, 19, 31),  # 19 alone + one digest of 31 = 20 emails
        (50, 15, 4, 46),  # 5 slots left: 4 alone + one digest
        (3, 19, 0, 3),  # 1 slot: one digest of all three
        (3, 20, 0, 0),  # no slot: they wait
        (1, 19, 1, 0),  # 1 slot, 1 message
    ],
)
def test_storm_plan_never_exceeds_the_limit(due: int, sent: int, send: int, fold: int) -> None:
    ids = list(range(1, due + 1))
    to_send, to_fold = plan_storm(ids, sent, 20)
    assert (len(to_send), len(to_fold)) == (send, fold)
    assert sent + len(to_send) + (1 if to_fold else 0) <= 20
    assert to_send + to_fold == ids[: len(to_send) + len(to_fold)]


def test_backoff_doubles_then_caps_and_covers_72_hours() -> None:
    notify = NotifySettings()
    delays = [backoff(n, notify).total_seconds() for n in range(1, 10)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 3600
    total, attempts = 0.0, 0
    while total < 72 * 3600:
        attempts += 1
        total += backoff(attempts, notify).total_seconds()
    assert attempts > 70  # still trying, hourly, on the third day


def test_scrub_masks_a_password_and_its_smtp_auth_forms() -> None:
    import base64

    plain = base64.b64encode(b"\0bob\0Pw-123").decode()
    text = f"535 AUTH PLAIN {plain} rejected for Pw-123 ({base64.b64encode(b'Pw-123').decode()})"
    masked = scrub(text, ["Pw-123", "\0bob\0Pw-123"])
    assert "Pw-123" not in masked and plain not in masked
    assert "UHctMTIz" not in masked  # base64 of the password alone
    assert masked.count("***") == 3


def test_device_error_texts_are_redacted(tmp_path: Path) -> None:
    key = FingerprintKey.load_or_create(tmp_path)
    text = "error text in the output: 'snmp-server community S3cretComm RO'"
    redacted = _redacted(text, "ios", key)
    assert redacted is not None and "S3cretComm" not in redacted and "<secret:" in redacted
    assert (
        _redacted("x", "no-such-platform", key) == "(detail withheld: no profile to redact it with)"
    )


def test_ticket_closed_reason_is_worded_in_both_languages() -> None:
    event = drift(reason="ticket_closed", ticket_id="CHG-9")
    assert "Motif : le ticket était déjà clôturé" in render_notification(note(event), FR).body
    assert "Reason: the ticket was already closed" in render_notification(note(event), EN).body


def test_refused_ticket_is_worded_with_file_and_reasons() -> None:
    refused = EventView(
        3,
        "ticket_refused",
        "cabinet-dupont",
        None,
        OPENED,
        {"ticket": "CHG-7", "title": "VLAN", "source": "yaml", "where": "/srv/t/CHG-7.yaml",
         "reasons": ["devices not in the inventory: sw99"], "digest": "ab"},
    )  # fmt: skip
    fr = render_notification(note(refused), FR)
    assert fr.subject == "[prisme-drift] cabinet-dupont : ticket CHG-7 refusé, il n'autorise rien"
    assert "/srv/t/CHG-7.yaml" in fr.body and "- devices not in the inventory: sw99" in fr.body
    en = render_notification(note(refused), EN)
    assert (
        en.subject == "[prisme-drift] cabinet-dupont: ticket CHG-7 refused, it authorizes nothing"
    )
