"""Which sites a user sees: every query of site data goes through here.

A provider user (admin, technician) sees every site; a client user the sites whose
``sites.client`` is its client, and nothing else. A site a user may not see does not exist for
it: HTTP 404, the same answer as for a site that really does not exist.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from starlette.exceptions import HTTPException

from prisme_drift.fleet.schema import sites
from prisme_drift.web.auth import User


def visible_sites(connection: Connection, user: User) -> list[str]:
    """The names of the sites ``user`` may see, sorted."""
    query = select(sites.c.site).order_by(sites.c.site)
    if not user.is_provider:
        if not user.client:
            return []
        query = query.where(sites.c.client == user.client)
    return list(connection.scalars(query))


def require_site(connection: Connection, user: User, site: str) -> None:
    """Nothing when ``user`` may see ``site``; HTTP 404 otherwise (never reveal it exists)."""
    query = select(sites.c.site).where(sites.c.site == site)
    if not user.is_provider:
        query = query.where(sites.c.client == (user.client or ""), sites.c.client != "")
    if connection.scalar(query) is None:
        raise HTTPException(404)
