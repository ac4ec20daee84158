"""Change plans over HTTP, as a browser does them: log in, draft, submit, read, decide."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from prisme_drift.fleet.plans import StoredPlan, get_plan
from prisme_drift.timefmt import utcnow, zone
from tests.web.conftest import Users, WebServer, csrf_of, log_in

SHA = re.compile(r'name="sha256" value="([0-9a-f]{64})"')


def browser(
    server: WebServer, users: Users, role: str, client: str | None = None, address: str = ""
) -> httpx.Client:
    """A logged-in client of a new user of ``role``, coming from ``address`` (as the reverse
    proxy tells it; default: a random one)."""
    login, password = users.add(role, client)
    http = server.client(address or None)
    assert log_in(http, login, password).status_code == 303
    return http


def plan_fields(
    csrf: str, timezone: str = "Indian/Reunion", start: datetime | None = None, **changes: Any
) -> dict[str, Any]:
    """The new-plan form as a browser posts it: ``datetime-local`` times in the site's
    ``timezone``, a two-hour window from ``start`` (default: tomorrow)."""
    start = (start or utcnow() + timedelta(days=1)).astimezone(zone(timezone))
    start = start.replace(second=0, microsecond=0)
    fields: dict[str, Any] = {
        "csrf": csrf,
        "id": "",
        "title": "VLAN imagerie",
        "requested_by": "Dr Martin",
        "devices": ["sw01"],
        "groups": "",
        "categories": ["vlan", "interface"],
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "rollback": "no vlan 40",
        "kind": "definitive",
        "expires_at": "",
        "mandate": "",
    }
    fields.update(changes)
    return fields


def stored(server: WebServer, plan_id: int) -> StoredPlan:
    """The plan's row as it is now."""
    with server.central.engine.connect() as connection:
        return get_plan(connection, plan_id)


def draft_over_http(tech: httpx.Client, site: str, **changes: Any) -> int:
    """A plan drafted through the new-plan form; its id."""
    form = tech.get(f"/sites/{site}/plans/new")
    assert form.status_code == 200, form.text
    done = tech.post(f"/sites/{site}/plans", data=plan_fields(csrf_of(form), **changes))
    assert done.status_code == 303, done.text
    return int(done.headers["location"].rsplit("/", 1)[1])


def submit_over_http(tech: httpx.Client, plan_id: int) -> None:
    """The provider's Submit button."""
    page = tech.get(f"/plans/{plan_id}")
    done = tech.post(f"/plans/{plan_id}/submit", data={"csrf": csrf_of(page)})
    assert done.status_code == 303, done.text


def approve_over_http(client: httpx.Client, plan_id: int, comment: str = "") -> httpx.Response:
    """The client's Approve button on the page it just read (the hash that page carries)."""
    page = client.get(f"/plans/{plan_id}")
    assert page.status_code == 200, page.text
    sha = SHA.search(page.text)
    assert sha, "no approve form on the page"
    data = {"csrf": csrf_of(page), "sha256": sha.group(1), "comment": comment}
    return client.post(f"/plans/{plan_id}/approve", data=data)
