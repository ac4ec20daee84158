"""The approval checks, the same for every ticket source (CLI, YAML files, GLPI).

``ticket approve`` refuses a draft that fails them. A ticket that arrives already approved (a
YAML file, a GLPI change, an import) goes through the same checks when it is loaded: one that
fails is *refused*. It authorizes nothing, and is reported with where it came from and why.
"""

from __future__ import annotations

import hashlib
import json

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.sources import Loaded, Refusal
from prisme_drift.authorize.verdicts import authorizes
from prisme_drift.models import DeviceRef


def scope_devices(ticket: Ticket, refs: dict[str, DeviceRef]) -> list[DeviceRef]:
    """Inventory devices the ticket covers."""
    return [ref for ref in refs.values() if ticket.covers_device(ref)]


def policy_problems(ticket: Ticket, refs: dict[str, DeviceRef]) -> list[str]:
    """Every reason the ticket may not be approved, against the inventory ``refs``: rollback
    plan, transitional expiry, devices in the inventory, mandate for restricted devices."""
    restricted = {
        r.name: r.restricted for r in scope_devices(ticket, refs) if r.restricted is not None
    }
    problems = ticket.approval_problems(restricted)
    unknown = [d for d in ticket.devices if d not in refs]
    if unknown:
        problems.append(
            f"devices not in the inventory: {', '.join(unknown)} (fix the name, or add the "
            "device to the inventory)"
        )
    return problems


def content_digest(ticket: Ticket) -> str:
    """A short hash of the ticket's content: a refusal is reported once per version."""
    text = json.dumps(ticket.as_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def vet(loaded: Loaded, refs: dict[str, DeviceRef]) -> Loaded:
    """``loaded`` with every authorizing ticket that fails the checks moved to ``refused``."""
    kept, refused = [], list(loaded.refused)
    for ticket in loaded.tickets:
        problems = policy_problems(ticket, refs) if authorizes(ticket) else []
        if not problems:
            kept.append(ticket)
            continue
        where = loaded.origins.get(ticket.id) or f"ticket {ticket.id} ({ticket.source})"
        refused.append(Refusal(ticket, where, tuple(problems), content_digest(ticket)))
    return Loaded(kept, list(loaded.problems), dict(loaded.origins), refused)
