"""Least privilege: a site's role reads and writes only its own site's rows (row-level security)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import ProgrammingError

from prisme_drift.fleet import schema
from prisme_drift.fleet.central import central_engine, check_schema, head_revision
from prisme_drift.fleet.sync import upsert
from tests.fleet.conftest import Central

pytestmark = pytest.mark.postgres

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _device(site: str, device_id: int) -> dict[str, object]:
    return {
        "site": site, "id": device_id, "name": f"sw{device_id}", "platform": "ios",
        "hostname": "192.0.2.1", "consecutive_failures": 0, "last_status": "ok",
    }  # fmt: skip


def test_a_site_role_cannot_read_or_write_another_sites_rows(central: Central) -> None:
    a, b = central.site_role("site-a"), central.site_role("site-b")
    engine_a = central_engine(a.url, a.password, 10)
    engine_b = central_engine(b.url, b.password, 10)
    try:
        check_schema(engine_a)  # a site role can read the revision
        with engine_a.begin() as connection:
            upsert(connection, schema.devices, [_device("site-a", 1)])
        with engine_b.begin() as connection:
            upsert(connection, schema.devices, [_device("site-b", 1)])
            seen = connection.execute(select(schema.devices.c.site)).scalars().all()
            assert seen == ["site-b"]  # site-a's row is invisible to site-b
            changed = connection.execute(
                update(schema.devices).where(schema.devices.c.site == "site-a").values(name="x")
            )
            assert changed.rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"), engine_b.begin() as c:
            upsert(c, schema.devices, [_device("site-a", 2)])
        with pytest.raises(ProgrammingError, match="permission denied"), engine_b.begin() as c:
            c.execute(select(schema.site_roles))
        with pytest.raises(ProgrammingError, match="permission denied"), engine_b.begin() as c:
            c.execute(text("DELETE FROM devices"))
    finally:
        engine_a.dispose()
        engine_b.dispose()
    with central.engine.connect() as connection:  # the owner sees both, untouched
        rows = connection.execute(
            select(schema.devices.c.site, schema.devices.c.name).order_by(schema.devices.c.site)
        ).all()
    assert rows == [("site-a", "sw1"), ("site-b", "sw1")]


def test_the_upsert_never_duplicates_a_row(central: Central) -> None:
    row = _device("site-c", 7)
    with central.engine.begin() as connection:
        upsert(connection, schema.devices, [row])
        upsert(connection, schema.devices, [{**row, "last_status": "failed"}])
        count = connection.execute(
            select(func.count()).where(schema.devices.c.site == "site-c")
        ).scalar_one()
        status = connection.execute(
            select(schema.devices.c.last_status).where(schema.devices.c.site == "site-c")
        ).scalar_one()
    assert (count, status) == (1, "failed")


def test_the_central_schema_is_at_head(central: Central) -> None:
    with central.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM fleet_alembic_version"))
        assert version.scalar_one() == head_revision()
        tables = connection.execute(
            text("SELECT relname FROM pg_class WHERE relrowsecurity ORDER BY relname")
        ).scalars()
        assert set(tables) == {t.name for t in (*schema.SITE_TABLES, *schema.SITE_READ_TABLES)}


def test_a_site_reads_its_own_change_plans_only_and_writes_none(central: Central) -> None:
    now = AT
    plan = {
        "ticket_id": "WEB-1",
        "plan": {},
        "plan_text": "",
        "plan_sha256": "0" * 64,
        "status": "approved",
        "created_by": "tech",
        "created_at": now,
        "updated_at": now,
    }
    with central.engine.begin() as connection:
        connection.execute(
            schema.change_plans.insert(),
            [
                {**plan, "site": "site-a"},
                {**plan, "site": "site-b"},
            ],
        )
    role = central.site_role("site-a")
    with central_engine(role.url, role.password, 10).connect() as connection:
        seen = connection.execute(select(schema.change_plans.c.site)).scalars().all()
        assert seen == ["site-a"]
        with pytest.raises(ProgrammingError, match="permission denied"):
            connection.execute(update(schema.change_plans).values(status="refused"))
