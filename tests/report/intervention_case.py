"""A hand-made intervention: ticket CHG-40 adds VLAN 40 on sw01 and moves Gi1/0/3 into it.

Around its window (08:00-10:00 UTC): the VLAN change inside the window on sw01 (authorized), a
description changed on sw01 inside the window (category not in scope), a port forward on fw01
inside the window (device not in scope), a VLAN removed on sw01 three hours after the window
(outside the window), a change on fw01 two days before (not shown). sw01 was swapped: its serial
differs after the window. Its neighbor on Gi1/0/48 is still there; sw02 lost its neighbor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prisme_drift.authorize.model import Approval, Ticket, TicketKind, TicketStatus
from prisme_drift.devicestate import DeviceState, Facts, Interface, Neighbor, Vlan
from prisme_drift.models import Category
from prisme_drift.report.intervention_input import (
    AttachmentInput,
    ChangeInput,
    DeviceSide,
    InterventionInput,
    NoteInput,
    PollPoint,
    TestInput,
)

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
OLD_SERIAL, NEW_SERIAL = "FOC1111A1AA", "FOC2222B2BB"
SOURCES = {"facts": "collect", "interfaces": "config", "vlans": "config", "neighbors": "getter:x"}


def ticket(**changes: object) -> Ticket:
    """The approved ticket of the case."""
    data: dict[str, object] = {
        "id": "CHG-40",
        "title": "VLAN CFAO",
        "requested_by": "Dr Dupont",
        "devices": ("sw01", "sw02"),
        "categories": (Category.VLAN,),
        "start": START,
        "end": END,
        "rollback": "no vlan 40",
        "status": TicketStatus.APPROVED,
        "approval": Approval(by="Dr Dupont", at=START - timedelta(days=1), ref="mail 28/11"),
        "kind": TicketKind.DEFINITIVE,
    }
    data.update(changes)
    return Ticket.model_validate(data)


def state(device: str, serial: str, vlan40: bool, neighbors: bool = True) -> DeviceState:
    """sw0x with VLANs 1 and 10 (and 40), Gi1/0/3 in 10 (or 40), 20 ports."""
    ports = [
        Interface(name=f"GigabitEthernet1/0/{n}", mode="access", access_vlan=10)
        for n in range(1, 21)
    ]
    if vlan40:
        ports[2] = Interface(name="GigabitEthernet1/0/3", mode="access", access_vlan=40)
    vlans = [Vlan(id=1, name="default"), Vlan(id=10, name="DATA")]
    if vlan40:
        vlans.append(Vlan(id=40, name="CFAO"))
    return DeviceState(
        device=device,
        platform="ios",
        collected_at="2026-12-01T08:00:00+00:00",
        facts=Facts(vendor="Cisco", model="C9200L-24P-4G", serial=serial, os_version="17.9.4"),
        interfaces=ports,
        vlans=vlans,
        neighbors=[Neighbor(local_port="GigabitEthernet1/0/48", remote_name="core")]
        if neighbors
        else [],
        sources=SOURCES,
    )


def change(number: int, device: str, category: str, seen: datetime, **kw: object) -> ChangeInput:
    """A drift item seen by the poll at ``seen``, appeared since the poll 30 minutes before."""
    data: dict[str, object] = {
        "id": number,
        "device": device,
        "category": category,
        "path": ("vlan 40",),
        "removed": (),
        "added": ("name CFAO",),
        "verdict": "unauthorized",
        "reason": "category_not_in_scope",
        "ticket_id": None,
        "appeared_after": seen - timedelta(minutes=30),
        "seen_at": seen,
    }
    data.update(kw)
    return ChangeInput(**data)  # type: ignore[arg-type]


def case(**changes: object) -> InterventionInput:
    """The whole intervention input."""
    before_poll = PollPoint(1, START - timedelta(minutes=5), "unchanged", "window-start", "a" * 40)
    after_poll = PollPoint(3, END + timedelta(seconds=2), "changed", "window-end", "b" * 40)
    config_before, config_after = "vlan 10\n", "vlan 10\nvlan 40\n"
    data: dict[str, object] = {
        "site": "cabinet",
        "client": "Cabinet Dupont",
        "generated_at": END + timedelta(hours=4),
        "ticket": ticket(),
        "devices": ("sw01", "sw02"),
        "addresses": {"sw01": "10.0.0.2", "sw02": "10.0.0.3"},
        "before": {
            "sw01": DeviceSide(before_poll, state("sw01", OLD_SERIAL, False), config_before),
            "sw02": DeviceSide(before_poll, state("sw02", "FOC3", False), config_before),
        },
        "after": {
            "sw01": DeviceSide(after_poll, state("sw01", NEW_SERIAL, True), config_after),
            "sw02": DeviceSide(after_poll, state("sw02", "FOC3", False, False), config_before),
        },
        "changes": (
            change(
                1,
                "sw01",
                "vlan",
                START + timedelta(minutes=40),
                verdict="authorized",
                reason=None,
                ticket_id="CHG-40",
            ),
            change(
                2,
                "sw01",
                "interface",
                START + timedelta(minutes=40),
                path=("interface GigabitEthernet1/0/5",),
                added=("description x",),
            ),
            change(
                3,
                "fw01",
                "nat",
                START + timedelta(minutes=50),
                reason="no_ticket",
                path=("config firewall vip",),
                added=('edit "vnc"',),
            ),
            change(
                4,
                "sw01",
                "vlan",
                END + timedelta(hours=3),
                reason="outside_window",
                removed=("vlan 10",),
                added=(),
            ),
            change(5, "fw01", "nat", START - timedelta(days=2), reason="no_ticket"),
        ),
        "bad_polls": {"sw01": (), "sw02": ("failed",)},
        "notes": (
            NoteInput(
                at=END,
                by="jmartin",
                technician="J. Martin",
                remark="Baie rangée",
                tests=(
                    TestInput("ping imageur", "réponse", "2 ms", True),
                    TestInput("impression", "page", "aucune", False),
                ),
                attachments=(
                    AttachmentInput("baie.jpg", "x-files/baie.jpg", 1234, "ab" * 32, True),
                ),
            ),
        ),
    }
    data.update(changes)
    return InterventionInput(**data)  # type: ignore[arg-type]
