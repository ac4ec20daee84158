"""Events, dedupe and the outbox on SQLite and PostgreSQL, delivered to real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from prisme_drift.config import Settings, load_settings
from prisme_drift.notify import outbox
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.notify.notifier import NotifyError
from prisme_drift.notify.sender import deliver_due, deliver_message
from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
from prisme_drift.store.models import Event, OutboxEvent, OutboxMessage
from tests.notify.conftest import SmtpServer, WebhookServer

T0 = datetime.now(UTC)


def site_settings(folder: Path, db_url: str, *sections: str, notify: str = "") -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prisme-drift.toml"
    config.write_text(
        '[site]\nname = "cabinet-dupont"\ntimezone = "Indian/Reunion"\n'
        f'[database]\nurl = "{db_url}"\n[state]\npath = "state"\n'
        f'[notify]\nheartbeat = "off"\n{notify}\n' + "\n".join(sections)
    )
    return load_settings(config)


def drift_payload(item_id: int, device: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "site": "cabinet-dupont",
        "device": device,
        "category": "vlan",
        "verdict": "unauthorized",
        "reason": "no_ticket",
        "opened_at": T0.isoformat(),
        "appeared_after": (T0 - timedelta(minutes=5)).isoformat(),
        "path": [],
        "removed": [],
        "added": [f"vlan {item_id}", f" name STORM-{item_id}"],
    }


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


def record(engine: Engine, settings: Settings, key: str, device: str = "sw02", **kw: Any) -> bool:
    """One drift_opened event in its own transaction (its own outbox message)."""
    with session_factory(engine).begin() as session:
        event = record_event(
            session,
            settings,
            EventKind.DRIFT_OPENED,
            key,
            payload=drift_payload(int(key), device),
            device=device,
            at=kw.get("at", T0),
        )
        return event is not None


def messages(engine: Engine) -> list[OutboxMessage]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def clock(delta: timedelta) -> Callable[[], datetime]:
    return lambda: T0 + delta


def test_an_event_is_recorded_once_and_queued_once(
    tmp_path: Path, db_url: str, engine: Engine, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    settings = site_settings(tmp_path, db_url, server.toml(tmp_path))
    assert record(engine, settings, "7") is True
    assert record(engine, settings, "7") is False  # same thing: nothing new
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count(Event.id))) == 1
    assert [(m.channel, m.status) for m in messages(engine)] == [("email", "pending")]
    report = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1)))
    assert (report.sent, report.pending) == (1, 0)
    assert len(server.received) == 1
    assert server.received[0].login == "alerts@example.net"


def test_smtp_outage_then_exactly_once_after_a_restart(
    tmp_path: Path, db_url: str, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", start=False)  # nothing listens on its port yet
    settings = site_settings(tmp_path, db_url, server.toml(tmp_path))
    first = make_engine(db_url)
    ensure_schema(first)
    record(first, settings, "7")
    down = deliver_due(settings, engine=first, now=clock(timedelta(0)))
    assert (down.sent, down.failed, down.pending) == (0, 1, 1)
    assert "refused" in down.errors[0]
    first.dispose()  # the process stops

    second = make_engine(db_url)  # ... and a new one starts on the same database
    try:
        (message,) = messages(second)
        assert message.status == "pending" and message.attempts == 1
        assert message.next_attempt_at == T0 + timedelta(seconds=60)
        server.start()
        early = deliver_due(settings, engine=second, now=clock(timedelta(seconds=30)))
        assert early.sent == 0 and server.received == []  # backoff respected
        late = deliver_due(settings, engine=second, now=clock(timedelta(seconds=61)))
        assert late.sent == 1
        for hours in (1, 24, 100):
            deliver_due(settings, engine=second, now=clock(timedelta(hours=hours)))
        assert len(server.received) == 1
        assert "modification non autorisée sur sw02 (VLAN)" in server.received[0].subject
        (message,) = messages(second)
        assert (message.status, message.attempts) == ("sent", 2)
    finally:
        second.dispose()


def test_gives_up_after_the_retry_period_and_retry_revives(
    tmp_path: Path, db_url: str, engine: Engine, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("tls", start=False)
    settings = site_settings(tmp_path, db_url, server.toml(tmp_path))
    record(engine, settings, "7")
    report = deliver_due(settings, engine=engine, now=clock(timedelta(hours=73)))
    assert report.gave_up == 1
    (message,) = messages(engine)
    assert message.status == "failed"
    assert deliver_due(settings, engine=engine, now=clock(timedelta(hours=74))).sent == 0
    server.start()
    revived = deliver_message(settings, message.id, engine=engine, now=clock(timedelta(hours=75)))
    assert revived.sent == 1 and len(server.received) == 1
    with pytest.raises(NotifyError, match="was sent at"):
        deliver_message(settings, message.id, engine=engine)


def test_storm_of_50_becomes_a_digest_and_at_most_20_per_hour(
    tmp_path: Path, db_url: str, engine: Engine, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    settings = site_settings(tmp_path, db_url, server.toml(tmp_path))
    for n in range(1, 51):  # 50 polls, one new item each
        record(engine, settings, str(n), device=f"dev-{n:02d}")
    first = deliver_due(settings, engine=engine, now=clock(timedelta(minutes=1)))
    assert first.sent == 20 and len(server.received) == 20
    digests = [r for r in server.received if "résumé de 31 alertes" in r.subject]
    assert len(digests) == 1
    for n in range(20, 51):
        assert f"dev-{n:02d}" in digests[0].text

    for n in range(51, 56):  # five more in the same hour: held
        record(engine, settings, str(n), device=f"dev-{n:02d}")
    held = deliver_due(settings, engine=engine, now=clock(timedelta(minutes=30)))
    assert (held.sent, held.held) == (0, 5) and len(server.received) == 20
    for n in range(56, 86):  # and thirty more
        record(engine, settings, str(n), device=f"dev-{n:02d}")
    later = deliver_due(settings, engine=engine, now=clock(timedelta(minutes=62)))
    assert later.sent == 20 and len(server.received) == 40  # the window moved: 20 more
    assert "résumé de 16 alertes" in server.received[-1].subject
    sent_at = sorted(m.sent_at for m in messages(engine) if m.sent_at)
    for start in sent_at:  # never more than 20 in any hour
        assert sum(1 for t in sent_at if start <= t < start + timedelta(hours=1)) <= 20

    with session_factory(engine)() as session:  # every event went out exactly once
        sent = (
            select(OutboxEvent.event_id, func.count())
            .join(OutboxMessage, OutboxMessage.id == OutboxEvent.outbox_id)
            .where(OutboxMessage.status == "sent")
            .group_by(OutboxEvent.event_id)
        )
        counts = dict(session.execute(sent).all())
    assert len(counts) == 85 and set(counts.values()) == {1}


def test_two_senders_never_claim_the_same_message(
    tmp_path: Path, db_url: str, engine: Engine, smtp_server: Callable[..., SmtpServer]
) -> None:
    settings = site_settings(tmp_path, db_url, smtp_server("starttls").toml(tmp_path))
    record(engine, settings, "7")
    (message,) = messages(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        assert outbox.claim(session, message.id, T0) is True
    with sessions.begin() as session:
        assert outbox.claim(session, message.id, T0 + timedelta(minutes=1)) is False
    with sessions.begin() as session:  # a crashed sender's lease expires
        assert outbox.claim(session, message.id, T0 + timedelta(minutes=16)) is True


def test_webhook_is_retried_after_a_500(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    token = tmp_path / "webhook-token"
    token.write_text("t0k3n-Value\n")
    section = f'[webhook]\nurl = "{webhook_server.url}"\ntoken_file = "{token}"\n'
    settings = site_settings(tmp_path, db_url, section)
    record(engine, settings, "7")
    webhook_server.script.append(500)
    failed = deliver_due(settings, engine=engine, now=clock(timedelta(0)))
    assert failed.failed == 1 and "HTTP 500" in failed.errors[0]
    assert "s3cret-path" not in failed.errors[0]  # the URL path may be a secret
    ok = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=61)))
    assert ok.sent == 1
    assert len(webhook_server.requests) == 2
    (h1, _body1), (h2, body2) = webhook_server.requests
    assert h1["Idempotency-Key"] == h2["Idempotency-Key"]
    assert h2["Authorization"] == "Bearer t0k3n-Value"
    assert body2["site"] == "cabinet-dupont" and body2["kind"] == "events"
    assert [e["kind"] for e in body2["events"]] == ["drift_opened"]
    assert body2["events"][0]["payload"]["device"] == "sw02"
    assert "modification non autorisée sur sw02" in body2["subject"]
    assert deliver_due(settings, engine=engine, now=clock(timedelta(hours=2))).sent == 0


def test_other_stages_raise_their_events_through_record_event(
    tmp_path: Path, db_url: str, engine: Engine, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    settings = site_settings(tmp_path, db_url, server.toml(tmp_path), notify='language = "en"')
    with session_factory(engine).begin() as session:
        payload = {"ticket": "CHG-12", "device": "sw02", "category": "vlan",
                   "expired_at": T0.isoformat(), "lines": ["vlan 40", " name TEMP"]}  # fmt: skip
        for _ in range(2):
            record_event(session, settings, EventKind.TRANSITIONAL_EXPIRED, "CHG-12:sw02",
                         payload=payload, device="sw02")  # fmt: skip
        record_event(session, settings, EventKind.JOB_FAILED, "poll:2026-11-26T10:00",
                     payload={"job": "poll", "error": "site busy"})  # fmt: skip
    assert deliver_due(settings, engine=engine).sent == 2
    subjects = sorted(r.subject for r in server.received)
    assert subjects == [
        "[prisme-drift] cabinet-dupont: job poll failed",
        "[prisme-drift] cabinet-dupont: transitional step expired on sw02",
    ]


def _open_item(engine: Engine, settings: Settings, item_no: int) -> int:
    """An open drift item on sw02 and its drift_opened event, as a poll records them."""
    from prisme_drift.store.models import Device, DriftItem

    with session_factory(engine).begin() as session:
        device = session.scalar(select(Device).where(Device.name == "sw02"))
        if device is None:
            device = Device(site="cabinet-dupont", name="sw02", platform="ios", hostname="h")
            session.add(device)
            session.flush()
        item = DriftItem(
            site="cabinet-dupont", device_id=device.id, fingerprint=f"fp{item_no}",
            category="vlan", path=[], removed=[], added=[f"vlan {item_no}"], verdict="unauthorized",
            reason="no_ticket", opened_at=T0, last_seen_at=T0,
        )  # fmt: skip
        session.add(item)
        session.flush()
        record_event(
            session, settings, EventKind.DRIFT_OPENED, str(item.id),
            payload=drift_payload(item.id, "sw02"), device="sw02", drift_item_id=item.id, at=T0,
        )  # fmt: skip
        return item.id


def test_open_items_are_caught_up_once_per_channel(
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    smtp_server: Callable[..., SmtpServer],
    webhook_server: WebhookServer,
) -> None:
    server = smtp_server("starttls")
    quiet = site_settings(tmp_path, db_url)  # no channel: recorded, not queued
    first = _open_item(engine, quiet, 1)
    assert messages(engine) == []
    email = site_settings(tmp_path, db_url, server.toml(tmp_path))
    assert deliver_due(email, engine=engine, now=clock(timedelta(seconds=1))).sent == 1
    assert f"drift accept {first} " in server.received[0].text
    deliver_due(email, engine=engine, now=clock(timedelta(hours=2)))  # a restart, later
    assert len(server.received) == 1

    second = _open_item(engine, email, 2)  # queued on email as usual
    both = site_settings(
        tmp_path, db_url, server.toml(tmp_path), f'[webhook]\nurl = "{webhook_server.url}"'
    )
    deliver_due(both, engine=engine, now=clock(timedelta(hours=3)))
    assert len(server.received) == 2  # only the second item, once
    [(_, body)] = webhook_server.requests  # the webhook gets both open items in one message
    assert [e["payload"]["id"] for e in body["events"]] == [first, second]
    deliver_due(both, engine=engine, now=clock(timedelta(hours=4)))
    assert len(server.received) == 2 and len(webhook_server.requests) == 1
    with session_factory(engine)() as session:
        channels = session.execute(
            select(OutboxMessage.channel, func.count(OutboxEvent.event_id))
            .join(OutboxEvent, OutboxEvent.outbox_id == OutboxMessage.id)
            .group_by(OutboxMessage.channel)
            .order_by(OutboxMessage.channel)
        ).all()
    assert [tuple(c) for c in channels] == [("email", 2), ("webhook", 2)]
