"""Authorization during a poll: the tickets of every source, loaded once.

Wired by ``poll``: one ``PollAuthorizer`` per poll holds the tickets (and the refused ones), the
inventory's device references and the audit trail; ``drift.reconcile`` judges each device's hunks
with it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.registry import AuditLog, TicketRegistry
from prisme_drift.authorize.service import load_tickets
from prisme_drift.authorize.sources import Refusal
from prisme_drift.config import Settings
from prisme_drift.models import DeviceRef
from prisme_drift.store.models import Device

log = logging.getLogger(__name__)
ACTOR = "prisme-drift"


class PollAuthorizer:
    """Tickets, device references and the audit trail for one poll."""

    def __init__(self, session: Session, settings: Settings, refs: dict[str, DeviceRef]) -> None:
        self.session = session
        self.settings = settings
        self.refs = refs
        loaded = load_tickets(settings, TicketRegistry(session, settings.site.name), refs)
        for problem in loaded.problems:
            log.warning("[%s] tickets: %s", settings.site.name, problem)
        self.tickets: dict[str, Ticket] = {t.id: t for t in loaded.tickets}
        self.refused: list[Refusal] = loaded.refused
        self.audit = AuditLog(session, settings.site.name, settings.state_path)

    def ref(self, row: Device) -> DeviceRef:
        """The device's reference (a device missing from the inventory has no groups)."""
        return self.refs.get(row.name) or DeviceRef(name=row.name)
