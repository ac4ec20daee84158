"""Chat channels through Apprise: ``json://`` posts to a real HTTP server on 127.0.0.1.

Each ``[notify] urls`` entry is an outbox channel of its own (at-least-once delivery, backoff,
grouping, storm digest); its secrets are ``{file:...}`` / ``{credential:...}`` references read at
delivery and never seen in a body, a log line, an event, ``outbox list`` or an error message.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from prisme_drift.cli import cli
from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError
from prisme_drift.notify.events import EventKind, record_event
from prisme_drift.notify.notifier import EventView, Notification, Wording
from prisme_drift.notify.outbox import queue_message
from prisme_drift.notify.registry import configured_channels
from prisme_drift.notify.render import render_chat
from prisme_drift.notify.sender import deliver_due, list_outbox
from prisme_drift.scrub import guard_handlers
from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
from prisme_drift.store.models import Event
from tests.notify.conftest import WebhookServer, free_port
from tests.notify.test_outbox import T0, clock, drift_payload, messages, record, site_settings

SECRET = "Ch4t/P@ss:w0rd"  # URL-special characters on purpose
USER = "alerts"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


def secret_file(folder: Path, name: str = "chat-password", value: str = SECRET) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path


def json_url(server: WebhookServer, reference: str = "{file:chat-password}") -> str:
    """The Apprise ``json://`` URL of the test server (the secret by reference)."""
    port = server.url.split(":")[2].split("/")[0]
    return f"json://{USER}:{reference}@127.0.0.1:{port}/hooks/chat"


def chat_settings(tmp_path: Path, db_url: str, *urls: str, notify: str = "") -> Settings:
    secret_file(tmp_path)
    listed = ", ".join(json.dumps(u) for u in urls)
    return site_settings(tmp_path, db_url, notify=f"urls = [{listed}]\n{notify}")


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()


def no_secret(*texts: str) -> None:
    b64 = base64.b64encode(SECRET.encode()).decode()
    for text in texts:
        assert SECRET not in text and b64 not in text and "Ch4t" not in text, text


def test_a_chat_url_is_an_outbox_channel_delivered_once(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    settings = chat_settings(tmp_path, db_url, json_url(webhook_server))
    assert configured_channels(settings) == ["json"]
    record(engine, settings, "7")
    assert [(m.channel, m.status) for m in messages(engine)] == [("json", "pending")]
    report = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1)))
    assert (report.sent, report.pending) == (1, 0)
    for hours in (1, 24):
        deliver_due(settings, engine=engine, now=clock(timedelta(hours=hours)))
    [(headers, body)] = webhook_server.requests  # once, never again
    assert headers["Authorization"] == basic_auth()  # the reference was read, special chars kept
    assert body["title"] == (
        "[prisme-drift] cabinet-dupont : modification non autorisée sur sw02 (VLAN)"
    )
    text = body["message"]
    for expected in (
        "Site : cabinet-dupont",
        "Équipement : sw02",
        "Catégorie : VLAN",
        "Verdict : non autorisée",
        "Résumé : + vlan 7 (2 lignes modifiées)",
        "Élément de dérive : 7",
        "drift accept 7 --by NOM",
        "ticket add CHG-XXXX",
        "ticket approve CHG-XXXX",
    ):
        assert expected in text, text
    assert "STORM-7" not in text  # the full diff stays in email
    no_secret(json.dumps(body))


def test_chat_is_retried_after_a_500_and_the_secret_never_shows(
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    webhook_server: WebhookServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    guard_handlers()  # as the CLI and the daemon do: the root handlers scrub
    settings = chat_settings(tmp_path, db_url, json_url(webhook_server))
    record(engine, settings, "7")
    webhook_server.script.append(500)
    failed = deliver_due(settings, engine=engine, now=clock(timedelta(0)))
    assert (failed.sent, failed.failed, failed.pending) == (0, 1, 1)
    assert "HTTP 500" in failed.errors[0] and f"{USER}:****@127.0.0.1" in failed.errors[0]
    early = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=30)))
    assert early.sent == 0 and len(webhook_server.requests) == 1  # backoff respected
    ok = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=61)))
    assert ok.sent == 1 and len(webhook_server.requests) == 2
    (message,) = messages(engine)
    assert (message.status, message.attempts) == ("sent", 2)

    listed = json.dumps([m.as_dict() for m in list_outbox(settings, include_done=True)])
    with session_factory(engine)() as session:
        events = json.dumps([e.payload for e in session.scalars(select(Event))])
    bodies = json.dumps([body for _headers, body in webhook_server.requests])
    no_secret(*failed.errors, listed, events, bodies, caplog.text)


def test_one_poll_is_one_chat_message(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    settings = chat_settings(tmp_path, db_url, json_url(webhook_server))
    with session_factory(engine).begin() as session:  # what a poll does with its events
        events = [
            record_event(
                session,
                settings,
                EventKind.DRIFT_OPENED,
                key,
                payload=drift_payload(int(key), device),
                device=device,
                at=T0,
                queue=False,
            )
            for key, device in (("7", "sw02"), ("8", "sw03"))
        ]
        queue_message(session, settings, [e for e in events if e], group_key="poll:1", now=T0)
    assert deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1))).sent == 1
    [(_headers, body)] = webhook_server.requests
    assert "2 modifications non autorisées sur sw02, sw03 (VLAN)" in body["title"]
    assert "drift accept 7" in body["message"] and "drift accept 8" in body["message"]


def test_a_storm_becomes_a_chat_digest(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    url = json_url(webhook_server)
    settings = chat_settings(tmp_path, db_url, url, notify="max_per_hour = 3")
    for n in range(1, 8):  # 7 polls, one new item each
        record(engine, settings, str(n), device=f"dev-{n:02d}")
    report = deliver_due(settings, engine=engine, now=clock(timedelta(minutes=1)))
    assert report.sent == 3 and len(webhook_server.requests) == 3
    digest = webhook_server.requests[-1][1]
    assert "résumé de 5 alertes retenues" in digest["title"]
    for n in range(3, 8):
        assert f"dev-{n:02d}" in digest["message"]
    assert "drift accept" not in digest["message"]  # in short only
    assert deliver_due(settings, engine=engine, now=clock(timedelta(minutes=2))).sent == 0


def test_a_failed_chat_channel_does_not_block_the_others(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    down = f"json://127.0.0.1:{free_port()}/nobody"  # nothing listens there
    settings = chat_settings(tmp_path, db_url, down, json_url(webhook_server))
    assert configured_channels(settings) == ["json", "json-2"]
    record(engine, settings, "7")
    report = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1)))
    assert (report.sent, report.failed) == (1, 1)
    assert "outbox 1 (json): cannot reach json://127.0.0.1" in report.errors[0]
    assert len(webhook_server.requests) == 1
    assert {(m.channel, m.status) for m in messages(engine)} == {
        ("json", "pending"),
        ("json-2", "sent"),
    }


def test_a_secret_in_the_path_is_masked_in_errors_and_logs(
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    webhook_server: WebhookServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # -vv: every library's debug lines
    guard_handlers()
    port = webhook_server.url.split(":")[2].split("/")[0]
    settings = chat_settings(tmp_path, db_url, f"json://127.0.0.1:{port}/h/{{file:chat-password}}")
    record(engine, settings, "7")
    webhook_server.script.append(503)
    report = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1)))
    assert report.failed == 1 and "json://127.0.0.1:" in report.errors[0]
    assert "/h/****" in report.errors[0]
    no_secret(*report.errors, json.dumps([m.as_dict() for m in list_outbox(settings)]))
    assert len(webhook_server.requests) == 1  # it did reach the server, secret in the path
    assert deliver_due(settings, engine=engine, now=clock(timedelta(minutes=2))).sent == 1
    assert "outbox 1 (json) delivered" in caplog.text
    no_secret(caplog.text, caplog.text.replace("%2F", "/").replace("%40", "@"))


def test_a_secret_in_clear_in_a_url_is_refused_at_load(tmp_path: Path, db_url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        site_settings(
            tmp_path, db_url, notify=f'urls = ["json://{USER}:Cl34rText@127.0.0.1:8080/x"]'
        )
    text = "\n".join([str(caught.value), *caught.value.problems])
    assert "[notify.urls.0]" in text and "holds a secret in clear" in text
    assert f"{USER}:****@127.0.0.1" in text and "{file:" in text
    assert "Cl34rText" not in text


def test_a_misspelt_reference_and_an_unknown_service_are_refused(
    tmp_path: Path, db_url: str
) -> None:
    for url, message in (
        ("json://u:{fil:x}@h/", "is not a secret reference"),
        ("nosuchservice://h/", "Apprise does not understand the URL"),
    ):
        with pytest.raises(ConfigError) as caught:
            site_settings(tmp_path, db_url, notify=f"urls = [{json.dumps(url)}]")
        assert message in "\n".join(caught.value.problems)


def run_cli(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-c", str(settings.source), *args])


def test_notify_test_names_the_failed_step_of_a_chat_channel(
    tmp_path: Path, db_url: str, webhook_server: WebhookServer
) -> None:
    missing = json_url(webhook_server, "{credential:chat}")
    settings = chat_settings(
        tmp_path, db_url, json_url(webhook_server), missing, "json://127.0.0.1:1/x"
    )
    result = run_cli(settings, "notify", "test")
    assert result.exit_code == 7, result.output
    lines = result.output
    assert "json: OK, test message accepted by json://alerts:****@127.0.0.1" in lines
    assert "json-2: FAILED (config): [notify] urls[2]: cannot read the secret file" in lines
    assert "$CREDENTIALS_DIRECTORY" in lines
    assert "json-3: FAILED (connect)" in lines
    no_secret(lines)
    [(_headers, body)] = webhook_server.requests
    assert "Site : cabinet-dupont" in body["message"]

    webhook_server.script.append(404)
    only = run_cli(settings, "notify", "test", "--channel", "json")
    assert only.exit_code == 7
    assert "json: FAILED (http)" in only.output
    assert "check the URL in [notify] urls[1]" in only.output
    assert "json-2" not in only.output
    unknown = run_cli(settings, "notify", "test", "--channel", "teams")
    assert unknown.exit_code == 2
    assert "its channels: json, json-2, json-3" in unknown.output


def test_a_missing_reference_file_names_the_key_and_the_file(
    tmp_path: Path, db_url: str, engine: Engine, webhook_server: WebhookServer
) -> None:
    settings = chat_settings(
        tmp_path, db_url, json_url(webhook_server, "{file:/nonexistent/chat-token}")
    )
    record(engine, settings, "7")
    report = deliver_due(settings, engine=engine, now=clock(timedelta(seconds=1)))
    assert report.failed == 1 and webhook_server.requests == []
    assert (
        "[notify] urls[1]: cannot read the secret file /nonexistent/chat-token"
        in (report.errors[0])
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Résumé : interface Gi1/0/3: + switchport access vlan 40 (2 lignes modifiées)"),
        ("en", "Summary: interface Gi1/0/3: + switchport access vlan 40 (2 changed lines)"),
    ],
)
def test_the_chat_summary_is_one_line_in_the_site_language(lang: str, expected: str) -> None:
    payload = {
        **drift_payload(42, "sw02"),
        "path": ["interface Gi1/0/3"],
        "removed": ["switchport access vlan 10"],
        "added": ["switchport access vlan 40"],
    }
    event = EventView(1, "drift_opened", "cabinet-dupont", "sw02", T0, payload)
    message = render_chat(Notification("cabinet-dupont", "events", (event,), T0), Wording(lang))
    assert expected in message.body.splitlines()
    assert "switchport access vlan 10" not in message.body  # no diff in chat
