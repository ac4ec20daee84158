"""The provider admin's page: the web page's accounts and its audit trail (admin role only)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prisme_drift.fleet import webaudit
from prisme_drift.fleet.schema import web_audit, web_users
from prisme_drift.web.auth import require_user
from prisme_drift.web.context import engine
from prisme_drift.web.render import render

#: Audit entries shown, newest first.
AUDIT_SHOWN = 100


def admin_page(request: Request) -> Response:
    """Accounts (never their hashes), the newest audit entries, whether the chain verifies."""
    require_user(request, "admin")
    u, a = web_users.c, web_audit.c
    accounts = select(u.login, u.role, u.client, u.display_name, u.last_login_at, u.disabled_at)
    with engine(request).connect() as connection:
        users = connection.execute(accounts.order_by(u.login)).all()
        entries = connection.execute(
            select(a.at, a.actor, a.role, a.ip, a.action, a.subject)
            .order_by(a.id.desc())
            .limit(AUDIT_SHOWN)
        ).all()
        problems = webaudit.verify(connection)
    context = {"users": users, "entries": entries, "problems": problems}
    return render(request, "admin.html", context)


routes = [Route("/admin", admin_page, methods=["GET"])]
