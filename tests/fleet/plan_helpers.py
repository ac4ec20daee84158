"""Helpers of the change-plan tests: a site's central rows, actors, a plan through its life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from prisme_drift.fleet import planflow, schema
from prisme_drift.fleet.plans import Actor, StoredPlan
from prisme_drift.fleet.sync import upsert

TECH = Actor("tech", "technician", None, "Tech Prisme", "192.0.2.50")
ADMIN = Actor("admin", "admin", None, "Admin Prisme", "192.0.2.51")


def client_user(client: str, login: str = "dmartin", name: str = "Dr Martin") -> Actor:
    """A client's user, deciding from a clinic's address."""
    return Actor(login, "client", client, name, "198.51.100.7")


def seed_site(
    engine: Engine, site: str, client: str, devices: list[str], timezone: str = "UTC"
) -> None:
    """The central rows a site's sync would have written: its ``sites`` row and devices."""
    with engine.begin() as connection:
        upsert(
            connection,
            schema.sites,
            [{"site": site, "client": client, "timezone": timezone, "sync_every_s": 3600.0}],
        )
        rows = [
            {"site": site, "id": n + 1, "name": name, "platform": "ios", "hostname": "192.0.2.1",
             "consecutive_failures": 0}
            for n, name in enumerate(devices)
        ]  # fmt: skip
        upsert(connection, schema.devices, rows)


def plan_form(**changes: Any) -> dict[str, Any]:
    """A plan covering sw01's VLANs from an hour ago to an hour from now (UTC ISO)."""
    now = datetime.now(UTC).replace(microsecond=0)
    data: dict[str, Any] = {
        "id": "",
        "title": "VLAN imagerie",
        "devices": ["sw01"],
        "categories": ["vlan"],
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
        "rollback": "no vlan 40",
        "kind": "definitive",
    }
    data.update(changes)
    return data


def approved_plan(engine: Engine, site: str, client: str, **changes: Any) -> StoredPlan:
    """A plan drafted and submitted by a technician, approved by the client's user."""
    with engine.begin() as connection:
        drafted = planflow.draft(connection, site, plan_form(**changes), TECH)
        submitted = planflow.submit(connection, drafted.id, TECH)
    with engine.begin() as connection:
        return planflow.approve(
            connection, submitted.id, client_user(client), "OK pour mardi", submitted.plan_sha256
        )
