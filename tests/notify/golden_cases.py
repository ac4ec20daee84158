"""Fixed inputs for the golden alert renderings: every event kind, single, grouped and digest.

Each case is a notification (and the wording it is rendered with); ``test_golden.py`` renders it
in French and English and compares subject, plain text and HTML with the files in ``golden/``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prisme_drift.models import DriftView
from prisme_drift.notify.notifier import EventView, Notification, Wording

SITE = "cabinet-dupont"
CONFIG = "/srv/prisme/cabinet-dupont/prisme-drift.toml"
OPENED = datetime(2026, 11, 26, 10, 5, 3, 250000, tzinfo=UTC)
BEFORE = datetime(2026, 11, 26, 9, 50, tzinfo=UTC)
LATER = OPENED + timedelta(hours=2, minutes=7)


def wording(lang: str, **changes: Any) -> Wording:
    """The wording every case uses unless it says otherwise."""
    base = Wording(lang, "Indian/Reunion", CONFIG, "Cabinet Dupont <Centre>", 20)
    return replace(base, **changes)


def drift_payload(item_id: int = 7, **changes: Any) -> dict[str, Any]:
    """A drift item as its event recorded it (``DriftView.as_dict``)."""
    payload: dict[str, Any] = {
        "id": item_id,
        "site": SITE,
        "device": "sw02",
        "category": "vlan",
        "verdict": "unauthorized",
        "reason": "no_ticket",
        "opened_at": OPENED.isoformat(),
        "closed_at": None,
        "close_reason": None,
        "appeared_after": BEFORE.isoformat(),
        "path": ["interface GigabitEthernet1/0/3"],
        "removed": ["switchport access vlan 10"],
        "added": ["switchport access vlan 40", 'description "l\'imagerie" <CAD & CAM>'],
        "remediation": ["interface GigabitEthernet1/0/3", " switchport access vlan 10"],
        "accepted_by": None,
        "accept_reason": None,
    }
    payload.update(changes)
    return payload


def event(kind: str, payload: dict[str, Any], device: str | None = None, n: int = 1) -> EventView:
    """An event created ``n`` minutes after the drift opened."""
    return EventView(n, kind, SITE, device, OPENED + timedelta(minutes=n), payload)


def opened(item_id: int = 7, **changes: Any) -> EventView:
    payload = drift_payload(item_id, **changes)
    return event("drift_opened", payload, str(payload["device"]), item_id)


def closed(item_id: int = 7, reason: str = "reverted", **changes: Any) -> EventView:
    payload = drift_payload(item_id, closed_at=LATER.isoformat(), close_reason=reason, **changes)
    return event("drift_closed", payload, str(payload["device"]), item_id)


def device_payload(device: str = "sw03", **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "device": device,
        "platform": "cisco_ios",
        "hostname": "10.0.0.3",
        "port": 2222,
        "failures": 3,
        "error_kind": "unreachable",
        "error": "connection refused",
        "last_success_at": BEFORE.isoformat(),
    }
    payload.update(changes)
    return payload


def _events() -> dict[str, EventView]:
    """One or more events of every kind, by name."""
    return {
        "drift_opened": opened(),
        "drift_opened_bare": opened(
            8,
            reason="outside_window",
            appeared_after=None,
            remediation=[],
            path=[],
            category="firewall",
            device="fw01",
        ),
        "drift_opened_ticket_closed": opened(9, reason="ticket_closed", category="nat"),
        "drift_opened_unknown_reason": opened(10, reason="something_new", category="mystery"),
        "drift_closed": closed(),
        "drift_closed_accepted": closed(
            11, "accepted", accepted_by="alice", accept_reason="CHG-12 visa <écrit>"
        ),
        "drift_closed_authorized": closed(12, "authorized", category="acl", path=[]),
        "device_unreachable": event("device_unreachable", device_payload(), "sw03", 2),
        "device_unreachable_never": event(
            "device_unreachable",
            device_payload("ap01", hostname=None, last_success_at=None, error_kind=None),
            "ap01",
            3,
        ),
        "device_recovered": event("device_recovered", device_payload(), "sw03", 4),
        "fetch_quarantined": event(
            "fetch_quarantined",
            device_payload(error_kind="truncated", error="62 lines, the last good one had 410"),
            "sw03",
            5,
        ),
        "fetch_quarantined_error_text": event(
            "fetch_quarantined",
            device_payload(error_kind="error_text", error="% Invalid input detected at '^'"),
            "sw03",
            6,
        ),
        "hostkey_changed": event(
            "hostkey_changed",
            device_payload(
                "sw01",
                hostname="10.0.0.1",
                port=22,
                error_kind="hostkey",
                error="the SSH host key of sw01 (10.0.0.1) changed: pinned ssh-ed25519 "
                "SHA256:old, the device now presents ssh-ed25519 SHA256:new",
            ),
            "sw01",
            7,
        ),
        "device_removed": event(
            "device_removed",
            {
                **device_payload("sw02", hostname="10.0.0.2", port=22),
                "removed_at": LATER.isoformat(),
                "closed_items": [
                    {**drift_payload(12, close_reason="device_removed"), "lines": ["+ x"]},
                    {**drift_payload(13, path=[], category="acl"), "lines": ["+ ip acl 5"]},
                ],
            },
            "sw02",
            8,
        ),
        "device_removed_nothing_open": event(
            "device_removed",
            {"device": "ap02", "removed_at": LATER.isoformat(), "closed_items": []},
            "ap02",
            9,
        ),
        "transitional_expired": event(
            "transitional_expired",
            {
                "ticket": "CHG-30",
                "device": "sw02",
                "category": "vlan",
                "expired_at": LATER.isoformat(),
                "lines": ["vlan 99", " name TEMPORAIRE"],
            },
            "sw02",
            10,
        ),
        "transitional_expired_bare": event(
            "transitional_expired",
            {"ticket": "CHG-31", "device": "fw01", "expired_at": LATER.isoformat()},
            None,
            11,
        ),
        "ticket_refused": event(
            "ticket_refused",
            {
                "ticket": "CHG-7",
                "title": "VLAN 40 pour l'imagerie",
                "source": "yaml",
                "where": "/srv/prisme/tickets/CHG-7.yaml",
                "reasons": ["devices not in the inventory: sw99", "no rollback plan"],
                "digest": "ab12",
            },
            None,
            12,
        ),
        "job_failed": event(
            "job_failed", {"job": "poll", "error": "OperationalError: disk I/O error"}, None, 13
        ),
        "store_unusable": event(
            "store_unusable",
            {
                "problem": "disk_full",
                "error": "database or disk is full: /var/lib/prisme-drift/state/prisme.db",
                "failing_since": BEFORE.isoformat(),
                "retry_every": "5 min",
            },
            None,
            14,
        ),
        "store_unusable_other": event(
            "store_unusable", {"problem": "weird", "error": "boom", "failing_since": None}, None, 15
        ),
        "heartbeat": event(
            "heartbeat",
            {
                "devices": 5,
                "statuses": {"ok": 4, "unreachable": 1, "quarantined": 0},
                "open_drift": 2,
                "period": "2026-W48",
            },
            None,
            16,
        ),
        "fleet_push_rejected": event(
            "fleet_push_rejected",
            {
                "remote": "ssh://git@git.prestataire.example/sites/cabinet-dupont.git",
                "branch": "observed",
                "local_head": "4f1c0ffee4f1c0ffee4f1c0ffee4f1c0ffee4f1c",
                "remote_head": "9badc0de9badc0de9badc0de9badc0de9badc0de",
                "reason": "remote diverged: fetch first",
            },
            None,
            17,
        ),
        "test": EventView(0, "test", SITE, None, OPENED, {}),
    }


def _grouped(events: dict[str, EventView]) -> dict[str, tuple[str, tuple[EventView, ...]]]:
    """Notifications of several events: counted subjects, places, footers, digests."""
    five = tuple(opened(20 + i, device=f"sw{i:02d}") for i in range(1, 6))
    four_categories = tuple(
        opened(30 + i, category=c) for i, c in enumerate(("vlan", "acl", "nat", "wifi"))
    )
    everything = tuple(e for name, e in events.items() if name != "test")
    return {
        "two_drifts": ("events", (opened(1), opened(2, category="acl"))),
        "five_devices": ("events", five),
        "four_categories": ("events", four_categories),
        "opened_and_closed": ("events", (opened(3), closed(4, "superseded", device="sw05"))),
        "mixed_no_places": ("events", (events["device_unreachable"], events["ticket_refused"])),
        "two_devices_down": (
            "events",
            (
                events["device_unreachable"],
                event("device_unreachable", device_payload("sw04"), "sw04", 30),
            ),
        ),
        "digest": ("digest", everything),
    }


@dataclass(frozen=True)
class Case:
    """One golden rendering: a notification and how to word it."""

    name: str
    notification: Notification
    changes: tuple[tuple[str, Any], ...] = ()

    def wording(self, lang: str) -> Wording:
        return wording(lang, **dict(self.changes))


def cases() -> list[Case]:
    """Every golden case, by name (the file names in ``golden/``)."""
    events = _events()
    found = [
        Case(name, Notification(SITE, "test" if name == "test" else "events", (e,), OPENED, 99))
        for name, e in events.items()
    ]
    found += [
        Case(name, Notification(SITE, kind, group, OPENED, 100))
        for name, (kind, group) in _grouped(events).items()
    ]
    no_client = Notification(SITE, "events", (events["drift_opened"],), OPENED, 101)
    found.append(Case("drift_opened_no_client", no_client, (("client", ""), ("config_path", ""))))
    paris = Notification(SITE, "events", (events["drift_closed_accepted"],), OPENED, 102)
    found.append(Case("drift_closed_paris", paris, (("timezone", "Europe/Paris"),)))
    small = Notification(SITE, "digest", tuple(events.values())[:3], OPENED, 103)
    found.append(Case("digest_limit_5", small, (("max_per_hour", 5),)))
    return found


def demo_item() -> DriftView:
    """The drift item the demo prints (``render_drift_alert``)."""
    payload = drift_payload(42)
    return DriftView(
        id=42,
        site=SITE,
        device="sw02",
        category="vlan",
        verdict="unauthorized",
        reason="no_ticket",
        opened_at=OPENED,
        closed_at=None,
        close_reason=None,
        appeared_after=BEFORE,
        path=tuple(payload["path"]),
        removed=tuple(payload["removed"]),
        added=tuple(payload["added"]),
        remediation=tuple(payload["remediation"]),
    )
