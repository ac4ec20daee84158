"""Authorization: change tickets, their sources, verdicts on hunks, and the audit trail."""

from prisme_drift.authorize.model import (
    Approval,
    Ticket,
    TicketKind,
    TicketStatus,
    Verdict,
)
from prisme_drift.authorize.verdicts import judge, upcoming_windows
from prisme_drift.models import DeviceRef

__all__ = [
    "Approval",
    "DeviceRef",
    "Ticket",
    "TicketKind",
    "TicketStatus",
    "Verdict",
    "judge",
    "upcoming_windows",
]
