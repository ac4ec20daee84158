"""Change plans drafted on the web page and approved there by the client: the rules, no HTTP.

A plan is the part of a change ticket a person drafts (scope, categories, window, rollback,
kind, expiry, mandate). It is validated by building a draft :class:`Ticket`, so the site's own
rules apply (window order, scope, expiry only for a transitional change), plus the approval
checks the web can judge (a rollback plan, a transitional end after the window). Its canonical
JSON (sorted keys, times in UTC), together with the site's name, hashes to ``plan_sha256``: an
approval covers exactly that content, and the site checks the hash again before it authorizes
anything (``fleet/pull.py``).

Life of a plan on the central database: ``draft`` (provider) -> ``submitted`` (provider; its
plain-language text and hash are frozen) -> ``approved`` or ``refused`` (the client of the
site, naming the hash it read) or ``withdrawn`` (provider). Each step is one transaction with
its entry in the web audit trail (:mod:`prisme_drift.fleet.webaudit`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from prisme_drift.authorize.model import Ticket, TicketStatus
from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.fleet import schema
from prisme_drift.timefmt import as_utc, parse_time

#: The ticket fields a plan holds (``change_plans.plan``).
PLAN_FIELDS = (
    "id", "title", "requested_by", "devices", "groups", "whole_site", "categories", "start",
    "end", "rollback", "kind", "expires_at", "mandate",
)  # fmt: skip
_TIMES = ("start", "end", "expires_at")
PROVIDER_ROLES = ("admin", "technician")
CLIENT_ROLE = "client"
WEB_PREFIX = "WEB-"


class PlanStatus(StrEnum):
    """Life of a change plan; only ``approved`` reaches a site as an approved ticket."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class PlanError(RefusedError):
    """A change plan operation was refused (wrong status, rules not met); nothing changed."""


class PlanNotFound(PlanError):
    """No such plan or site for this user (another client's plan is "not found" too)."""


class PlanForbidden(PlanError):
    """The user's role may not do this (a technician approving, a client drafting)."""


class PlanChanged(PlanError):
    """The plan is not the one the reader saw: its hash differs (edited, or tampered with)."""


@dataclass(frozen=True)
class Actor:
    """Who acts, as the web page knows them, and from which address."""

    login: str
    role: str  # admin | technician | client
    client: str | None
    display_name: str
    ip: str

    @property
    def signature(self) -> str:
        """``Dr Martin (dmartin)``: how an approval names its author on the site."""
        name = self.display_name.strip()
        return f"{name} ({self.login})" if name and name != self.login else self.login


@dataclass(frozen=True)
class StoredPlan:
    """One row of ``change_plans``."""

    id: int
    site: str
    ticket_id: str
    plan: dict[str, Any]
    plan_text: str
    plan_sha256: str
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_by_name: str | None
    decided_at: datetime | None
    decided_from: str | None
    decision_comment: str | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> StoredPlan:
        """From a ``change_plans`` row mapping."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    @property
    def intact(self) -> bool:
        """Whether the stored plan still hashes to the stored hash."""
        return plan_sha256(self.site, self.plan) == self.plan_sha256


# --------------------------------------------------------------------------- the rules


def _read_times(data: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    """``data`` with its times parsed: a time without offset is in the site's timezone."""
    out = {k: v for k, v in data.items() if k in PLAN_FIELDS}
    problems = []
    for key in _TIMES:
        value = out.get(key)
        if isinstance(value, str) and value.strip():
            try:
                out[key] = parse_time(value, timezone)
            except ValueError as exc:
                problems.append(f"{key}: {value!r} is not a date and time ({exc})")
        elif isinstance(value, str):
            out[key] = None
    if problems:
        raise ConfigError("the change plan is not valid", problems=problems)
    return out


def validate(data: Mapping[str, Any], timezone: str) -> Ticket:
    """The plan as a draft Ticket (the site's rules); ConfigError listing every problem, by
    field. Times without an offset are read in the site's ``timezone``."""
    values = _read_times(data, timezone)
    try:
        return Ticket.model_validate({**values, "status": TicketStatus.DRAFT, "source": "web"})
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError("the change plan is not valid", problems=problems) from exc


def canonical(ticket: Ticket) -> dict[str, Any]:
    """The plan's fields as JSON values: lists in the given order, times ISO in UTC."""
    dumped = ticket.model_dump(mode="json")
    plan = {key: dumped[key] for key in PLAN_FIELDS}
    for key in _TIMES:
        value = getattr(ticket, key)
        plan[key] = None if value is None else as_utc(value).isoformat()
    return plan


def canonical_json(site: str, plan: Mapping[str, Any]) -> str:
    """The text the hash covers: the site and the plan, keys sorted, no spaces."""
    return json.dumps(
        {"site": site, "plan": dict(plan)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def plan_sha256(site: str, plan: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical_json`: what an approval covers."""
    return hashlib.sha256(canonical_json(site, plan).encode("utf-8")).hexdigest()


def plan_problems(ticket: Ticket) -> list[str]:
    """Why the plan may not be submitted or approved, as far as the web can judge (the site
    checks restricted devices and its inventory again when it pulls the plan)."""
    return ticket.approval_problems({})


def to_ticket(plan: Mapping[str, Any]) -> Ticket:
    """A stored plan as a draft Ticket (its times are ISO with an offset)."""
    return validate(plan, "UTC")


# --------------------------------------------------------------------------- reading


def get_plan(connection: Connection, plan_id: int, *, lock: bool = False) -> StoredPlan:
    """One plan by id; PlanNotFound otherwise. ``lock`` holds the row to the transaction's end."""
    query = select(schema.change_plans).where(schema.change_plans.c.id == plan_id)
    row = connection.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise PlanNotFound(f"no change plan {plan_id}")
    return StoredPlan.from_row(row)


def site_plans(connection: Connection, site: str) -> list[StoredPlan]:
    """The plans of a site, newest first."""
    plans = schema.change_plans
    query = select(plans).where(plans.c.site == site).order_by(plans.c.id.desc())
    return [StoredPlan.from_row(r) for r in connection.execute(query).mappings()]


def site_row(connection: Connection, site: str) -> Mapping[Any, Any]:
    """The central ``sites`` row (client, timezone); PlanNotFound for an unknown site."""
    row = (
        connection.execute(select(schema.sites).where(schema.sites.c.site == site))
        .mappings()
        .first()
    )
    if row is None:
        raise PlanNotFound(f"no site {site!r} in the central database")
    return row


def site_devices(connection: Connection, site: str) -> list[str]:
    """Names of the site's current devices (as its last sync copied them)."""
    devices = schema.devices
    query = (
        select(devices.c.name)
        .where(devices.c.site == site, devices.c.removed_at.is_(None))
        .order_by(devices.c.name)
    )
    return list(connection.execute(query).scalars())


def next_ticket_id(connection: Connection, site: str) -> str:
    """``WEB-<n>``: one more than the highest WEB number of the site's plans and tickets."""
    used = [
        *connection.execute(
            select(schema.change_plans.c.ticket_id).where(schema.change_plans.c.site == site)
        ).scalars(),
        *connection.execute(
            select(schema.tickets.c.id).where(schema.tickets.c.site == site)
        ).scalars(),
    ]
    numbers = [
        int(tid.removeprefix(WEB_PREFIX))
        for tid in used
        if tid.startswith(WEB_PREFIX) and tid.removeprefix(WEB_PREFIX).isdigit()
    ]
    return f"{WEB_PREFIX}{max(numbers, default=0) + 1}"


def ticket_id_used(connection: Connection, site: str, ticket_id: str) -> str | None:
    """Where ``ticket_id`` is already used on ``site`` (a plan, a site ticket), or None."""
    plans = schema.change_plans
    found = connection.execute(
        select(plans.c.id).where(plans.c.site == site, plans.c.ticket_id == ticket_id)
    ).scalar()
    if found is not None:
        return f"change plan {found}"
    tickets = schema.tickets
    found_ticket = connection.execute(
        select(tickets.c.id).where(tickets.c.site == site, tickets.c.id == ticket_id)
    ).scalar()
    return None if found_ticket is None else "a ticket of the site"


@dataclass(frozen=True)
class HistoryEntry:
    """One step of a plan, from the web audit trail."""

    at: datetime
    actor: str
    role: str
    ip: str
    action: str
    comment: str


def plan_history(connection: Connection, plan_id: int) -> list[HistoryEntry]:
    """The plan's steps (drafted, edited, submitted, decided, withdrawn), oldest first."""
    audit = schema.web_audit
    query = select(audit).where(audit.c.subject == f"plan {plan_id}").order_by(audit.c.id)
    return [
        HistoryEntry(r.at, r.actor, r.role, r.ip, r.action, str(r.details.get("comment") or ""))
        for r in connection.execute(query)
    ]
