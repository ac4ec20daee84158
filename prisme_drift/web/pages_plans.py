"""The change-plan pages: the provider drafts, edits, submits and withdraws; the client of the
site reads the plain-language text and approves or refuses it (the rules are in
:mod:`prisme_drift.fleet.planflow`).

Every POST has its CSRF token checked first (``auth.posted``), then the user's role for the
action (a forged approval by a technician is a 403 and changes nothing), then the site's scope
(another client's plan is a 404), then the plan's own rules in one transaction. An approval or
refusal carries the hash of the plan the page showed; a plan that changed meanwhile is refused
(409) and shown again. Handlers are plain functions: Starlette runs them in its thread pool.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from prisme_drift.errors import ConfigError
from prisme_drift.fleet import planflow
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
    get_plan,
    next_ticket_id,
    plan_history,
    site_devices,
    site_plans,
    site_row,
)
from prisme_drift.web.auth import User, posted, require_user
from prisme_drift.web.context import client_ip, engine, web_config
from prisme_drift.web.planform import (
    CATEGORIES,
    KINDS,
    empty_values,
    form_values,
    plan_data,
    plan_summary,
    posted_values,
)
from prisme_drift.web.render import render
from prisme_drift.web.scope import require_site

log = logging.getLogger(__name__)


def _actor(request: Request, user: User) -> Actor:
    return Actor(user.login, user.role, user.client, user.display_name, client_ip(request))


def _plan_id(request: Request) -> int:
    raw = request.path_params["plan_id"]
    if not str(raw).isdigit():
        raise HTTPException(404)
    return int(raw)


def _visible_plan(connection: Connection, user: User, plan_id: int) -> StoredPlan:
    """The plan if the user may see it (its site in scope; a client sees no draft); 404."""
    try:
        plan = get_plan(connection, plan_id)
    except PlanNotFound:
        raise HTTPException(404) from None
    require_site(connection, user, plan.site)
    if user.role == CLIENT_ROLE and plan.status == PlanStatus.DRAFT:
        raise HTTPException(404)
    return plan


def _form_context(connection: Connection, site: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "site": site,
        "timezone": site_row(connection, site)["timezone"],
        "devices": site_devices(connection, site),
        "categories": CATEGORIES,
        "kinds": KINDS,
        "values": values,
        "problems": [],
        "error": None,
    }


def plans_list(request: Request) -> Response:
    """The site's plans (a client does not see drafts)."""
    user = require_user(request)
    site = request.path_params["site"]
    with engine(request).connect() as connection:
        require_site(connection, user, site)
        plans = site_plans(connection, site)
        timezone = site_row(connection, site)["timezone"]
    if user.role == CLIENT_ROLE:
        plans = [p for p in plans if p.status != PlanStatus.DRAFT]
    lines = [plan_summary(p) for p in plans]
    return render(request, "plans.html", {"site": site, "plans": lines, "timezone": timezone})


def new_plan(request: Request) -> Response:
    """The empty form (provider only), with the proposed ``WEB-<n>`` id."""
    user = require_user(request, *PROVIDER_ROLES)
    site = request.path_params["site"]
    with engine(request).connect() as connection:
        require_site(connection, user, site)
        context = _form_context(connection, site, empty_values(next_ticket_id(connection, site)))
    return render(request, "plan_form.html", {**context, "action": f"/sites/{site}/plans"})


def create_plan(request: Request, form: FormData) -> Response:
    """Draft the posted plan, then show it; the form again with every problem otherwise."""
    user = require_user(request, *PROVIDER_ROLES)
    site = request.path_params["site"]
    data = plan_data(form)
    lang = web_config(request).lang
    try:
        with engine(request).begin() as connection:
            require_site(connection, user, site)
            plan = planflow.draft(connection, site, data, _actor(request, user), lang)
    except (ConfigError, PlanError) as exc:
        with engine(request).connect() as connection:
            context = _form_context(connection, site, posted_values(data))
        context["action"] = f"/sites/{site}/plans"
        return _form_error(request, context, exc)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


def _form_error(request: Request, context: dict[str, Any], exc: Exception) -> Response:
    problems = exc.problems if isinstance(exc, ConfigError) else []
    message = str(exc).split("\n", 1)[0] if isinstance(exc, ConfigError) else str(exc)
    status = 400 if isinstance(exc, ConfigError) else 409
    return render(
        request, "plan_form.html", {**context, "problems": problems, "error": message}, status
    )


def plan_page(request: Request) -> Response:
    """The plan: its text, status, hash and history, and the buttons the user may use."""
    return _plan_view(request)


def _plan_view(
    request: Request, error: str | None = None, status: int = 200, detail: str = ""
) -> Response:
    """The plan page; after a refused step, ``error`` (a catalog key) and, for the provider,
    the rules' ``detail``."""
    user = require_user(request)
    with engine(request).connect() as connection:
        plan = _visible_plan(connection, user, _plan_id(request))
        history = plan_history(connection, plan.id)
        timezone = site_row(connection, plan.site)["timezone"]
    provider = user.role in PROVIDER_ROLES
    context = {
        "plan": plan,
        "history": history,
        "timezone": timezone,
        "intact": plan.intact,
        "can_edit": provider and plan.status == PlanStatus.DRAFT,
        "can_withdraw": provider and plan.status in planflow.WITHDRAWABLE,
        "can_decide": user.role == CLIENT_ROLE and plan.status == PlanStatus.SUBMITTED,
        "error": error,
        "detail": detail if provider else "",
    }
    return render(request, "plan.html", context, status)


def edit_form(request: Request) -> Response:
    """The draft's form, filled in (provider only)."""
    user = require_user(request, *PROVIDER_ROLES)
    with engine(request).connect() as connection:
        plan = _visible_plan(connection, user, _plan_id(request))
        timezone = site_row(connection, plan.site)["timezone"]
        context = _form_context(connection, plan.site, form_values(plan.plan, timezone))
    context.update(action=f"/plans/{plan.id}/edit", plan_id=plan.id)
    if plan.status != PlanStatus.DRAFT:
        return _plan_view(request, "web.plans.error.not_draft", 409)
    return render(request, "plan_form.html", context)


def edit_plan(request: Request, form: FormData) -> Response:
    """Save the draft's new fields."""
    user = require_user(request, *PROVIDER_ROLES)
    plan_id = _plan_id(request)
    data, actor, lang = plan_data(form), _actor(request, user), web_config(request).lang
    try:
        with engine(request).begin() as connection:
            plan = _visible_plan(connection, user, plan_id)
            planflow.edit(connection, plan_id, data, actor, lang)
    except ConfigError as exc:
        with engine(request).connect() as connection:
            context = _form_context(connection, plan.site, posted_values(data))
        context.update(action=f"/plans/{plan_id}/edit", plan_id=plan_id)
        return _form_error(request, context, exc)
    except PlanError as exc:
        return _plan_view(request, "web.plans.error.not_draft", 409, str(exc))
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


def _step(request: Request, form: FormData, roles: tuple[str, ...], action: str) -> Response:
    """One POSTed step on a plan (its CSRF token already checked by ``posted``): role (403),
    scope (404), then the rules (409)."""
    user = require_user(request, *roles)
    plan_id = _plan_id(request)
    comment = str(form.get("comment") or "")
    seen = str(form.get("sha256") or "")
    actor, lang = _actor(request, user), web_config(request).lang
    try:
        with engine(request).begin() as connection:
            _visible_plan(connection, user, plan_id)
            if action == "submit":
                planflow.submit(connection, plan_id, actor, lang)
            elif action == "withdraw":
                planflow.withdraw(connection, plan_id, actor, comment)
            elif action == "approve":
                planflow.approve(connection, plan_id, actor, comment, seen)
            else:
                planflow.refuse(connection, plan_id, actor, comment, seen)
    except PlanForbidden:
        raise HTTPException(403) from None
    except PlanNotFound:
        raise HTTPException(404) from None
    except PlanChanged as exc:
        log.warning("web: %s of plan %s by %s refused: %s", action, plan_id, user.login, exc)
        return _plan_view(request, "web.plans.error.changed", 409)
    except PlanError as exc:
        log.info("web: %s of plan %s by %s refused: %s", action, plan_id, user.login, exc)
        return _plan_view(request, f"web.plans.error.{action}", 409, str(exc))
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


def submit(request: Request, form: FormData) -> Response:
    """The provider sends the draft to the client."""
    return _step(request, form, PROVIDER_ROLES, "submit")


def withdraw(request: Request, form: FormData) -> Response:
    """The provider calls the plan off."""
    return _step(request, form, PROVIDER_ROLES, "withdraw")


def approve(request: Request, form: FormData) -> Response:
    """The client's written visa on the plan it read."""
    return _step(request, form, (CLIENT_ROLE,), "approve")


def refuse(request: Request, form: FormData) -> Response:
    """The client's refusal, with its reason."""
    return _step(request, form, (CLIENT_ROLE,), "refuse")


routes = [
    Route("/sites/{site}/plans", plans_list, methods=["GET"]),
    Route("/sites/{site}/plans/new", new_plan, methods=["GET"]),
    Route("/sites/{site}/plans", posted(create_plan), methods=["POST"]),
    Route("/plans/{plan_id}", plan_page, methods=["GET"]),
    Route("/plans/{plan_id}/edit", edit_form, methods=["GET"]),
    Route("/plans/{plan_id}/edit", posted(edit_plan), methods=["POST"]),
    Route("/plans/{plan_id}/submit", posted(submit), methods=["POST"]),
    Route("/plans/{plan_id}/withdraw", posted(withdraw), methods=["POST"]),
    Route("/plans/{plan_id}/approve", posted(approve), methods=["POST"]),
    Route("/plans/{plan_id}/refuse", posted(refuse), methods=["POST"]),
]
