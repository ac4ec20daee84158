"""The demo's ticketed change: an approved ticket, the change inside its window, the window-end
poll, the technician's note, then the intervention report (``prisme-drift demo``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.registry import AuditLog, TicketRegistry, approve
from prisme_drift.config import Settings
from prisme_drift.models import Category, PollReport
from prisme_drift.poll import run_poll
from prisme_drift.report.intervention_sources import NOTE_ACTION
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.timefmt import utcnow

TICKET = "CHG-DEMO-1"
DEVICE = "sw-accueil"
CHANGE = [
    "vlan 50",
    " name IMPRIMANTES",
    "exit",
    "interface GigabitEthernet1/0/6",
    " switchport access vlan 50",
    "end",
]
WINDOW = timedelta(seconds=15)  # the change over SSH takes a few seconds; the poll comes after
TESTS = [
    {"what": "impression depuis l'accueil", "expected": "une page", "observed": "une page",
     "result": "ok"},
    {"what": "ping imprimante 192.168.50.20", "expected": "réponse", "observed": "réponse 1 ms",
     "result": "ok"},
]  # fmt: skip


def _record(settings: Settings, ticket: Ticket) -> None:
    from prisme_drift.inventory import build_nornir, device_refs

    refs = device_refs(build_nornir(settings))
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine).begin() as session:
            registry = TicketRegistry(session, settings.site.name)
            audit = AuditLog(session, settings.site.name, settings.state_path)
            registry.add(ticket)
            audit.append("demo", "ticket.add", ticket.id, ticket.as_dict())
            approved = approve(ticket, refs, "Dr Martin (cabinet)", "courriel du 28/11")
            registry.save(approved)
            audit.append("Dr Martin (cabinet)", "ticket.approve", ticket.id, {"ref": "courriel"})
            note = {"technician": "J. Payet", "remark": "", "tests": TESTS, "attachments": []}
            audit.append("demo", NOTE_ACTION, ticket.id, note)
        audit.committed()
    finally:
        engine.dispose()


def ticketed_change(settings: Settings, change: Callable[[list[str]], None]) -> PollReport:
    """Approve a ticket for VLAN 50 on sw-accueil, make the change inside its window
    (``change`` sends the lines over SSH), then take the window-end poll (it authorizes it)."""
    start = utcnow().replace(microsecond=0)
    end = start + WINDOW
    _record(
        settings,
        Ticket(
            id=TICKET,
            title="VLAN imprimantes à l'accueil",
            requested_by="Dr Martin",
            devices=(DEVICE,),
            categories=(Category.VLAN,),
            start=start,
            end=end,
            rollback="no vlan 50; interface Gi1/0/6: switchport access vlan 10",
        ),
    )
    change(CHANGE)
    time.sleep(max(0.0, (end - utcnow()).total_seconds() + 0.5))
    return run_poll(settings, trigger="window-end", deliver=False)
