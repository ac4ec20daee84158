"""The models on a migrated database: UTC datetimes, constraints, JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from prisme_drift.store.engine import session_factory
from prisme_drift.store.models import Device, DevicePoll, DriftItem, Poll

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _device(session: Session, site: str = "lyon", name: str = "r1") -> Device:
    device = Device(site=site, name=name, platform="ios", hostname=f"{name}.{site}.example")
    session.add(device)
    session.flush()
    return device


def _poll(session: Session, started_at: datetime = NOW) -> Poll:
    poll = Poll(site="lyon", started_at=started_at)
    session.add(poll)
    session.flush()
    return poll


def _drift_item(device: Device, **columns: object) -> DriftItem:
    values: dict[str, object] = {
        "site": device.site,
        "fingerprint": "f" * 64,
        "category": "interface",
        "path": ["interface Gi0/1"],
        "removed": [],
        "added": [],
        "verdict": "unapproved",
        "opened_at": NOW,
        "last_seen_at": NOW,
    }
    values.update(columns)
    return DriftItem(device=device, **values)


def test_aware_datetime_comes_back_as_the_same_instant_in_utc(migrated_engine: Engine) -> None:
    # 03:30:00.123456 in Paris on the DST night (UTC+2 already) is 01:30:00.123456 UTC.
    paris = datetime(2024, 3, 31, 3, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    expected = datetime(2024, 3, 31, 1, 30, 0, 123456, tzinfo=UTC)
    factory = session_factory(migrated_engine)
    with factory.begin() as session:
        poll_id = _poll(session, started_at=paris).id
    with factory() as session:
        started_at = session.get_one(Poll, poll_id).started_at
        assert started_at == expected
        assert started_at.tzinfo is UTC
        assert started_at.isoformat() == "2024-03-31T01:30:00.123456+00:00"
        # Queries compare instants too, whatever zone the bound value is in.
        plus5 = expected.astimezone(ZoneInfo("Asia/Karachi"))
        assert session.scalars(select(Poll.id).where(Poll.started_at == plus5)).all() == [poll_id]
        later = expected + timedelta(microseconds=1)
        assert session.scalars(select(Poll.id).where(Poll.started_at < later)).all() == [poll_id]


def test_naive_datetime_is_rejected(db_session: Session) -> None:
    db_session.add(Poll(site="lyon", started_at=datetime(2024, 1, 1, 12, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    poll = _poll(db_session)
    db_session.add(DevicePoll(poll_id=poll.id, device_id=999_999, status="ok", at=NOW))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_device_site_and_name_are_unique(db_session: Session) -> None:
    _device(db_session, "lyon", "r1")
    _device(db_session, "paris", "r1")  # same name on another site: fine
    db_session.add(Device(site="lyon", name="r1", platform="eos", hostname="other"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_on_delete_rules(db_session: Session) -> None:
    device = _device(db_session)
    poll = _poll(db_session)
    db_session.add(DevicePoll(poll_id=poll.id, device_id=device.id, status="ok", at=NOW))
    db_session.add(_drift_item(device, opened_poll_id=poll.id))
    db_session.flush()
    db_session.execute(delete(Poll))
    assert db_session.scalars(select(DevicePoll)).all() == []  # CASCADE
    assert db_session.scalars(select(DriftItem.opened_poll_id)).all() == [None]  # SET NULL
    db_session.execute(delete(Device))
    assert db_session.scalars(select(DriftItem)).all() == []  # CASCADE


def test_json_columns_round_trip_accented_text(migrated_engine: Engine) -> None:
    path = ["interface GigabitEthernet0/1", " description Liaison câblée — étage 2"]
    removed = [" description Liaison câblée — étage 2"]
    added = [" description « Réseau » Zürich ñ 日本", "ip address 10.0.0.1 255.255.255.0"]
    summary = {"sites": ["Orléans"], "erreurs": {"r1": "délai dépassé"}, "total": 3}
    factory = session_factory(migrated_engine)
    with factory.begin() as session:
        device = _device(session)
        item = _drift_item(device, path=path, removed=removed, added=added, remediation=[])
        session.add(item)
        poll = Poll(site="Orléans", started_at=NOW, summary=summary)
        session.add(poll)
        session.flush()
        item_id, poll_id = item.id, poll.id
    with factory() as session:
        stored = session.get_one(DriftItem, item_id)
        assert (stored.path, stored.removed, stored.added) == (path, removed, added)
        assert stored.remediation == []
        assert session.get_one(Poll, poll_id).summary == summary
