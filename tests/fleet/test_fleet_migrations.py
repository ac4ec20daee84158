"""The central schema's revisions go down and up again on the real PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from prisme_drift.fleet.central import _config, current_revision, head_revision, migrate
from tests.fleet.conftest import Central

pytestmark = pytest.mark.postgres


def columns(central: Central) -> set[str]:
    return {c["name"] for c in inspect(central.engine).get_columns("change_plans")}


def test_f0003_adds_the_deciders_name_and_goes_back(central: Central) -> None:
    assert "decided_by_name" in columns(central)
    config = _config()
    with central.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "f0002")
        connection.commit()
    assert current_revision(central.engine) == "f0002"
    assert "decided_by_name" not in columns(central) and "decided_by" in columns(central)
    assert migrate(central.engine) == head_revision() and "decided_by_name" in columns(central)
