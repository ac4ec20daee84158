"""The site's side of the change plans approved online: pulled at each ``fleet sync``.

After the copy, the site reads its own ``change_plans`` that were decided (its role may only
SELECT its own site's rows; it never writes that table) and, in its own store:

- an **approved** plan whose canonical JSON still hashes to the hash the client approved becomes
  an approved ticket (source ``web``, ``Approval(by="<name> (<login>)", at=<decision>,
  ref="web:<plan id>:<sha256[:12]>")``), with a ``ticket.approve`` entry in the site's audit
  trail. It then goes through the site's own rules at every poll like any ticket (a restricted
  device without a mandate, a device not in the inventory: refused, it authorizes nothing);
- an approved plan whose hash does **not** match (changed after the approval) authorizes
  nothing: a ``ticket_refused`` alert, once per content, and a problem in the sync's line;
- a plan **refused** or **withdrawn** after the site pulled it cancels the site's ticket,
  unless it is already closed or cancelled.

Idempotent: a second sync finds every ticket in place and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from prisme_drift.authorize.model import Approval, Ticket, TicketStatus
from prisme_drift.authorize.policy import policy_problems
from prisme_drift.authorize.registry import AuditLog, TicketRegistry, set_status
from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.fleet import schema
from prisme_drift.fleet.central import unreachable
from prisme_drift.fleet.plans import PlanStatus, StoredPlan, plan_sha256, to_ticket
from prisme_drift.inventory import build_nornir, device_refs
from prisme_drift.models import DeviceRef
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import TicketRow

log = logging.getLogger(__name__)

SOURCE = "web"
DECIDED = (PlanStatus.APPROVED, PlanStatus.REFUSED, PlanStatus.WITHDRAWN)


@dataclass
class PullReport:
    """What one pull did: tickets written, tickets cancelled, and the plans refused (why)."""

    pulled: int = 0
    cancelled: int = 0
    refused: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``change plans: 1 pulled, 0 cancelled, 0 refused``."""
        return (
            f"change plans: {self.pulled} pulled, {self.cancelled} cancelled, "
            f"{len(self.refused)} refused"
        )


def approval_ref(plan: StoredPlan) -> str:
    """``web:<plan id>:<sha256[:12]>``: the reference of the approval given online."""
    return f"web:{plan.id}:{plan.plan_sha256[:12]}"


def decided_plans(central: Connection, site: str) -> list[StoredPlan]:
    """The site's decided plans (approved, refused, withdrawn), oldest first."""
    plans = schema.change_plans
    query = (
        select(plans)
        .where(plans.c.site == site, plans.c.status.in_([str(s) for s in DECIDED]))
        .order_by(plans.c.id)
    )
    return [StoredPlan.from_row(r) for r in central.execute(query).mappings()]


class _Pull:
    """One pull: the site's session, registry and audit trail, and its report."""

    def __init__(self, settings: Settings, session: Session) -> None:
        self.settings, self.session = settings, session
        self.site = settings.site.name
        self.registry = TicketRegistry(session, self.site)
        self.audit = AuditLog(session, self.site, settings.state_path)
        self.report = PullReport()
        self._refs: dict[str, DeviceRef] | None = None

    def refs(self) -> dict[str, DeviceRef] | None:
        """The inventory's devices for the approval checks; None if it cannot be read (the
        poll reports that itself)."""
        if self._refs is None:
            try:
                self._refs = device_refs(build_nornir(self.settings))
            except ConfigError as exc:
                log.warning("[%s] change plans: inventory unreadable: %s", self.site, exc)
                return None
        return self._refs

    def existing(self, ticket_id: str) -> Ticket | None:
        row = self.session.get(TicketRow, ticket_id)
        return None if row is None or row.site != self.site else self.registry.get(ticket_id)

    def refuse(self, plan: StoredPlan, reason: str, key: str) -> None:
        """An approved plan that authorizes nothing: a problem, and an alert once per ``key``."""
        line = f"change plan {plan.id} (ticket {plan.ticket_id}) authorizes nothing: {reason}"
        self.report.refused.append(line)
        log.error("[%s] %s", self.site, line)
        payload: dict[str, Any] = {
            "ticket": plan.ticket_id,
            "title": str(plan.plan.get("title", "")),
            "source": SOURCE,
            "where": f"change plan {plan.id} (central database)",
            "reasons": [reason],
            "digest": key,
        }
        event = record_event(
            self.session, self.settings, EventKind.TICKET_REFUSED, f"{plan.ticket_id}:{key}",
            payload=payload,
        )  # fmt: skip
        if event is not None:
            self.audit.append("prisme-drift", "ticket.refused", plan.ticket_id, payload)

    def approved(self, plan: StoredPlan) -> None:
        """Write an approved plan as the site's approved ticket, once."""
        actual = plan_sha256(self.site, plan.plan)
        if actual != plan.plan_sha256:
            reason = (
                f"its content hashes to {actual[:12]}, not to {plan.plan_sha256[:12]} that the "
                "client approved: it was changed after the approval"
            )
            self.refuse(plan, reason, f"web-{plan.id}-{actual[:16]}")
            return
        try:
            ticket = to_ticket(plan.plan)
        except ConfigError as exc:
            self.refuse(plan, f"not a valid ticket: {exc}", f"web-{plan.id}-{actual[:16]}")
            return
        if ticket.id != plan.ticket_id:
            reason = f"its plan names ticket {ticket.id}, its row {plan.ticket_id}"
            self.refuse(plan, reason, f"web-{plan.id}-{actual[:16]}")
            return
        self.store(plan, ticket)

    def store(self, plan: StoredPlan, ticket: Ticket) -> None:
        ref = approval_ref(plan)
        found = self.existing(ticket.id)
        if found is not None:
            if found.source != SOURCE or found.approval is None or found.approval.ref != ref:
                where = f"a {found.source} ticket" if found.source != SOURCE else "another plan"
                reason = f"ticket id {ticket.id} is already used on the site by {where}"
                self.refuse(plan, reason, f"web-{plan.id}-taken")
            return  # pulled before: nothing to do
        if plan.decided_at is None or not plan.decided_by:
            self.refuse(plan, "approved without who and when", f"web-{plan.id}-unsigned")
            return
        by = _signature(plan.decided_by_name, plan.decided_by)
        approval = Approval(by=by, at=plan.decided_at, ref=ref)
        self.registry.add(
            ticket.model_copy(
                update={"status": TicketStatus.APPROVED, "approval": approval, "source": SOURCE}
            )
        )
        details = {
            "ref": ref, "source": SOURCE, "plan": plan.id, "sha256": plan.plan_sha256,
            "from": plan.decided_from or "", "comment": plan.decision_comment or "",
        }  # fmt: skip
        self.audit.append(by, "ticket.approve", ticket.id, details)
        self.report.pulled += 1
        log.info("[%s] change plan %s pulled: ticket %s approved by %s", self.site, plan.id,
                 ticket.id, by)  # fmt: skip
        refs = self.refs()
        problems = policy_problems(ticket, refs) if refs is not None else []
        if problems:  # the poll refuses it and alerts, as for any ticket
            log.warning("[%s] ticket %s (change plan %s) fails the site's checks: %s",
                        self.site, ticket.id, plan.id, "; ".join(problems))  # fmt: skip

    def undone(self, plan: StoredPlan) -> None:
        """A plan refused or withdrawn after the site pulled it: cancel its ticket."""
        found = self.existing(plan.ticket_id)
        if found is None or found.source != SOURCE or found.approval is None:
            return
        if not found.approval.ref.startswith(f"web:{plan.id}:"):
            return
        if found.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
            return
        self.registry.save(set_status(found, TicketStatus.CANCELLED))
        by = _signature(plan.decided_by_name, plan.decided_by or "web")
        details = {"source": SOURCE, "plan": plan.id, "plan_status": plan.status,
                   "comment": plan.decision_comment or ""}  # fmt: skip
        self.audit.append(by, "ticket.cancel", found.id, details)
        self.report.cancelled += 1
        log.info("[%s] change plan %s %s: ticket %s cancelled", self.site, plan.id, plan.status,
                 found.id)  # fmt: skip


def _signature(name: str | None, login: str) -> str:
    name = (name or "").strip()
    return f"{name} ({login})" if name and name != login else login


def pull_plans(settings: Settings, central: Engine) -> PullReport:
    """Pull the site's decided plans from the ``central`` database into the site's store, in
    one transaction of the store; see the module's docstring."""
    site = settings.site.name
    try:
        with central.connect() as connection:
            plans = decided_plans(connection, site)
    except SQLAlchemyError as exc:
        raise unreachable(central, f"read the change plans of site {site} from", exc) from None
    with session_factory(shared_engine(settings.database_url)).begin() as session:
        pull = _Pull(settings, session)
        for plan in plans:
            if plan.status == PlanStatus.APPROVED:
                pull.approved(plan)
            else:
                pull.undone(plan)
    pull.audit.committed()
    return pull.report
