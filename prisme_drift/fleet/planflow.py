"""The life of a change plan on the central database: draft, edit, submit, approve, refuse,
withdraw (the rules are in :mod:`prisme_drift.fleet.plans`).

Every function takes the caller's connection inside a transaction, changes one plan, and appends
its entry to the web audit trail (who, role, address, the plan's hash, and for a submission or a
decision the text that was read) in that same transaction: a refused step changes nothing. The
plan row is locked (``SELECT ... FOR UPDATE``) while it is checked and changed, so two decisions
on one plan cannot both pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, update

from prisme_drift.errors import ConfigError
from prisme_drift.fleet import schema, webaudit
from prisme_drift.fleet.plans import (
    CLIENT_ROLE,
    PROVIDER_ROLES,
    Actor,
    PlanChanged,
    PlanError,
    PlanForbidden,
    PlanNotFound,
    PlanStatus,
    StoredPlan,
    canonical,
    get_plan,
    next_ticket_id,
    plan_problems,
    plan_sha256,
    site_devices,
    site_row,
    ticket_id_used,
    to_ticket,
    validate,
)
from prisme_drift.fleet.plantext import plan_text
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)

#: The statuses a provider may withdraw from: before a decision, or an approved plan whose
#: work is called off (the site then cancels its ticket at its next sync).
WITHDRAWABLE = (PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.APPROVED)


def _provider(actor: Actor, what: str) -> None:
    if actor.role not in PROVIDER_ROLES:
        raise PlanForbidden(f"only the provider's staff (admin, technician) may {what} a plan")


def _audit(
    connection: Connection, actor: Actor, action: str, plan: StoredPlan, **details: Any
) -> None:
    base = {"plan": plan.id, "site": plan.site, "ticket": plan.ticket_id}
    webaudit.append(
        connection,
        actor.login,
        actor.role,
        actor.ip,
        action,
        f"plan {plan.id}",
        {**base, "sha256": plan.plan_sha256, **details},
    )


def _prepared(
    connection: Connection, site: str, data: Mapping[str, Any], lang: str
) -> tuple[dict[str, Any], str, str]:
    """The canonical plan, its hash and its text; ConfigError for invalid fields or devices
    the site does not have."""
    place = site_row(connection, site)
    ticket = validate(data, place["timezone"])
    known = set(site_devices(connection, site))
    unknown = [d for d in ticket.devices if d not in known]
    if unknown:
        raise ConfigError(
            "the change plan is not valid",
            problems=[f"devices: {', '.join(unknown)} not among the devices of site {site}"],
        )
    plan = canonical(ticket)
    return plan, plan_sha256(site, plan), plan_text(plan, lang, place["timezone"])


def _changed(connection: Connection, plan_id: int, **values: Any) -> StoredPlan:
    connection.execute(
        update(schema.change_plans)
        .where(schema.change_plans.c.id == plan_id)
        .values(updated_at=utcnow(), **values)
    )
    return get_plan(connection, plan_id)


def draft(
    connection: Connection, site: str, data: Mapping[str, Any], actor: Actor, lang: str = "fr"
) -> StoredPlan:
    """A new plan for ``site``, status draft; the ticket id given or ``WEB-<n>``."""
    _provider(actor, "draft")
    values = dict(data)
    if not str(values.get("id") or "").strip():
        values["id"] = next_ticket_id(connection, site)
    plan, digest, text = _prepared(connection, site, values, lang)
    where = ticket_id_used(connection, site, plan["id"])
    if where is not None:
        raise PlanError(f"ticket id {plan['id']} is already used on site {site} ({where})")
    now = utcnow()
    row = {
        "site": site, "ticket_id": plan["id"], "plan": plan, "plan_text": text,
        "plan_sha256": digest, "status": str(PlanStatus.DRAFT), "created_by": actor.login,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    plan_id = connection.execute(
        schema.change_plans.insert().values(row).returning(schema.change_plans.c.id)
    ).scalar_one()
    stored = get_plan(connection, plan_id)
    _audit(connection, actor, "plan.draft", stored, fields=plan)
    log.info("change plan %s (%s/%s) drafted by %s", plan_id, site, plan["id"], actor.login)
    return stored


def edit(
    connection: Connection, plan_id: int, data: Mapping[str, Any], actor: Actor, lang: str = "fr"
) -> StoredPlan:
    """The draft with new fields (its ticket id stays); its hash and text are recomputed. A
    submitted or decided plan is refused: the client reads, and approves, one fixed text."""
    _provider(actor, "edit")
    stored = get_plan(connection, plan_id, lock=True)
    if stored.status != PlanStatus.DRAFT:
        raise PlanError(
            f"change plan {plan_id} ({stored.ticket_id}) is {stored.status}: only a draft can "
            "be edited, since the client reads and approves one fixed text; withdraw it and "
            "draft a new plan"
        )
    plan, digest, text = _prepared(connection, stored.site, {**data, "id": stored.ticket_id}, lang)
    edited = _changed(connection, plan_id, plan=plan, plan_sha256=digest, plan_text=text)
    _audit(connection, actor, "plan.edit", edited, before=stored.plan_sha256, fields=plan)
    return edited


def submit(connection: Connection, plan_id: int, actor: Actor, lang: str = "fr") -> StoredPlan:
    """Send the draft to the client: its text and hash are frozen from now on."""
    _provider(actor, "submit")
    stored = get_plan(connection, plan_id, lock=True)
    if stored.status != PlanStatus.DRAFT:
        raise PlanError(f"change plan {plan_id} is {stored.status}; only a draft can be submitted")
    problems = plan_problems(to_ticket(stored.plan))
    if problems:
        raise PlanError(
            f"change plan {plan_id} ({stored.ticket_id}) cannot be submitted:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    timezone = site_row(connection, stored.site)["timezone"]
    text = plan_text(stored.plan, lang, timezone)
    digest = plan_sha256(stored.site, stored.plan)
    submitted = _changed(
        connection, plan_id, status=str(PlanStatus.SUBMITTED), plan_text=text, plan_sha256=digest
    )
    _audit(connection, actor, "plan.submit", submitted, text=text)
    return submitted


def _decidable(connection: Connection, plan_id: int, actor: Actor, seen_sha256: str) -> StoredPlan:
    """The submitted plan a client of its site may decide on, locked; refused otherwise."""
    if actor.role != CLIENT_ROLE:
        raise PlanForbidden(
            "only the client's own user may approve or refuse a change plan (the written "
            "visa is the client's); the provider's staff never can"
        )
    stored = get_plan(connection, plan_id, lock=True)
    if not actor.client or site_row(connection, stored.site)["client"] != actor.client:
        raise PlanNotFound(f"no change plan {plan_id}")
    if stored.status != PlanStatus.SUBMITTED:
        raise PlanError(
            f"change plan {plan_id} is {stored.status}; only a submitted plan can be decided"
        )
    if not stored.intact:
        raise PlanChanged(
            f"change plan {plan_id} no longer matches its hash: it was changed after it was "
            "submitted; nothing was approved. Ask the provider to withdraw it and submit it again"
        )
    if seen_sha256 != stored.plan_sha256:
        raise PlanChanged(
            f"change plan {plan_id} changed since the page was shown: read it again before "
            "deciding (nothing was recorded)"
        )
    return stored


def _decide(
    connection: Connection, stored: StoredPlan, actor: Actor, status: PlanStatus, comment: str
) -> StoredPlan:
    decided = _changed(
        connection, stored.id, status=str(status), decided_by=actor.login,
        decided_by_name=actor.display_name or actor.login, decided_at=utcnow(),
        decided_from=actor.ip, decision_comment=comment,
    )  # fmt: skip
    action = "plan.approve" if status == PlanStatus.APPROVED else "plan.refuse"
    _audit(connection, actor, action, decided, text=decided.plan_text, comment=comment)
    log.info("change plan %s %s by %s from %s", stored.id, status, actor.login, actor.ip)
    return decided


def approve(
    connection: Connection, plan_id: int, actor: Actor, comment: str, seen_sha256: str
) -> StoredPlan:
    """The client's written visa on exactly the plan whose hash it read (``seen_sha256``)."""
    stored = _decidable(connection, plan_id, actor, seen_sha256)
    problems = plan_problems(to_ticket(stored.plan))
    if problems:
        raise PlanError(
            f"change plan {plan_id} cannot be approved:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return _decide(connection, stored, actor, PlanStatus.APPROVED, comment.strip())


def refuse(
    connection: Connection, plan_id: int, actor: Actor, comment: str, seen_sha256: str
) -> StoredPlan:
    """The client's refusal, with the reason it gives (required)."""
    stored = _decidable(connection, plan_id, actor, seen_sha256)
    if not comment.strip():
        raise PlanError(f"refusing change plan {plan_id} needs a comment: say why")
    return _decide(connection, stored, actor, PlanStatus.REFUSED, comment.strip())


def withdraw(connection: Connection, plan_id: int, actor: Actor, comment: str = "") -> StoredPlan:
    """The provider calls the plan off: before a decision, or after an approval (the site
    cancels the ticket it pulled at its next sync)."""
    _provider(actor, "withdraw")
    stored = get_plan(connection, plan_id, lock=True)
    if stored.status not in WITHDRAWABLE:
        raise PlanError(f"change plan {plan_id} is {stored.status}; it cannot be withdrawn")
    withdrawn = _changed(
        connection, plan_id, status=str(PlanStatus.WITHDRAWN), decided_by=actor.login,
        decided_by_name=actor.display_name or actor.login, decided_at=utcnow(),
        decided_from=actor.ip, decision_comment=comment.strip(),
    )  # fmt: skip
    _audit(connection, actor, "plan.withdraw", withdrawn, before=stored.status, comment=comment)
    return withdrawn
