"""Polls of simulated devices over SSH -> events -> outbox -> a real SMTP server on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from prisme_drift.drift.accept import accept_item
from prisme_drift.notify.sender import deliver_due, list_outbox
from prisme_drift.poll import run_poll
from prisme_drift.store.engine import make_engine, session_factory
from prisme_drift.store.models import Event
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.notify.conftest import SMTP_PASSWORD, SmtpServer, add_settings

pytestmark = pytest.mark.lab

NEW_VLAN = ["vlan 40", " name CFAO-TEMP", "exit"]
SECRETS = ["snmp-server community S3cretComm RO", "username bob secret 0 PlainPass1"]
SECRET_VALUES = ["S3cretComm", "PlainPass1"]

Factory = Callable[..., tuple[LabSite, SmtpServer]]


def later(minutes: float) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + timedelta(minutes=minutes)


def test_one_email_when_a_change_opens_none_while_it_stays_one_when_it_closes(
    notify_site: Factory,
) -> None:
    site, server = notify_site(["sw01", "sw02"])
    run_poll(site.settings)  # baseline: nothing to say
    assert server.received == []
    site.device("sw02").configure(NEW_VLAN)
    run_poll(site.settings)
    (opened,) = server.received
    assert opened.subject == (
        "[prisme-drift] test-site : modification non autorisée sur sw02 (VLAN)"
    )
    text = opened.text
    assert "    + vlan 40\n    +  name CFAO-TEMP" in text
    assert "Apparue : entre" in text and "Verdict : non autorisée" in text
    assert f"prisme-drift -c {site.config_file} drift accept" in text
    assert "ticket add CHG-XXXX" in text and "--device sw02 --category vlan" in text
    assert "no vlan 40" in text  # the suggested remediation
    assert "+ vlan 40" in opened.html

    run_poll(site.settings)  # still there: no new email
    assert len(server.received) == 1

    site.device("sw02").configure(["no vlan 40"])
    run_poll(site.settings)
    assert len(server.received) == 2
    assert server.received[1].subject == (
        "[prisme-drift] test-site : fin de la modification non autorisée sur sw02 (VLAN), "
        "annulée sur l'équipement"
    )
    run_poll(site.settings)
    assert len(server.received) == 2


def test_the_items_of_one_poll_share_one_email(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").configure(
        [*NEW_VLAN, "interface GigabitEthernet1/0/3", " switchport access vlan 40", "exit"]
    )
    report = run_poll(site.settings)
    assert len(report.opened) == 2
    (message,) = server.received
    assert message.subject == (
        "[prisme-drift] test-site : 2 modifications non autorisées sur sw01 (VLAN)"
    )
    for item_id in report.opened:
        assert f"drift accept {item_id} " in message.text


def test_smtp_down_during_a_drift_then_delivered_exactly_once(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"], start=False)  # no server listening on its port
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    report = run_poll(site.settings)  # the poll succeeds whatever the relay does
    assert report.exit_code == 3 and len(report.opened) == 1
    (pending,) = list_outbox(site.settings)
    assert pending.status == "pending" and pending.attempts == 1
    assert "refused" in (pending.last_error or "")

    server.start()
    run_poll(site.settings)  # backoff: not due yet, and nothing new to say
    assert server.received == []
    deliver_due(site.settings, now=later(2))
    deliver_due(site.settings, now=later(60))
    run_poll(site.settings)
    assert len(server.received) == 1
    assert "modification non autorisée sur sw01 (VLAN)" in server.received[0].subject
    assert list_outbox(site.settings) == []


def test_no_secret_in_any_email(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").configure(SECRETS)
    run_poll(site.settings)
    site.device("sw01").configure(
        ["snmp-server community An0therComm RO", "no snmp-server community S3cretComm"]
    )
    run_poll(site.settings)
    assert len(server.received) == 2
    for message in server.received:
        seen = message.everything()
        assert "<secret:" in seen or "&lt;secret:" in seen
        for secret in [*SECRET_VALUES, "An0therComm", SMTP_PASSWORD, site.password]:
            assert secret not in seen, secret
    engine = make_engine(site.settings.database_url)
    with session_factory(engine)() as session:
        stored = json.dumps([e.payload for e in session.scalars(select(Event))])
    engine.dispose()
    for secret in SECRET_VALUES:
        assert secret not in stored


def test_english_subject(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"], notify='[notify]\nlanguage = "en"\nheartbeat = "off"\n')
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    run_poll(site.settings)
    (message,) = server.received
    assert message.subject == "[prisme-drift] test-site: unauthorized change on sw01 (VLAN)"
    assert "Appeared: between" in message.text


def test_accepted_item_closes_with_one_email(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    (item_id,) = run_poll(site.settings).opened
    accept_item(site.settings, item_id, by="J. Martin", reason="CHG-12 signed")
    run_poll(site.settings)
    run_poll(site.settings)
    assert len(server.received) == 2
    closed = server.received[1]
    assert "acceptée après coup" in closed.subject
    assert "J. Martin (CHG-12 signed)" in closed.text


def test_unreachable_once_per_outage_then_recovered(notify_site: Factory) -> None:
    notify = '[notify]\nheartbeat = "off"\nunreachable_after = 2\n'
    site, server = notify_site(["sw01", "sw02"], notify=notify)
    run_poll(site.settings)
    site.lab.stop_device("sw02")
    run_poll(site.settings)
    assert server.received == []  # one failed poll is not an outage yet
    for _ in range(2):
        run_poll(site.settings)
    (down,) = server.received
    assert down.subject == "[prisme-drift] test-site : sw02 injoignable"
    assert "Relevés en échec consécutifs : 2" in down.text
    site.lab.start_device("sw02")
    run_poll(site.settings)
    run_poll(site.settings)
    assert [m.subject for m in server.received[1:]] == [
        "[prisme-drift] test-site : sw02 de nouveau joignable"
    ]


def test_quarantine_once_per_streak(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").fault = "truncate"
    run_poll(site.settings)
    run_poll(site.settings)
    (message,) = server.received
    assert message.subject == "[prisme-drift] test-site : relevé de sw01 mis en quarantaine"
    assert "relevé tronqué" in message.text
    site.device("sw01").fault = None
    run_poll(site.settings)
    site.device("sw01").fault = "truncate"
    run_poll(site.settings)  # a new streak after a good poll: a new alert
    assert len(server.received) == 2


def test_changed_host_key_alerts_once(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    old = site.device("sw01").host_key_fingerprint()
    new = site.lab.rotate_host_key("sw01")
    run_poll(site.settings)
    run_poll(site.settings)
    (message,) = server.received
    assert message.subject == (
        "[prisme-drift] test-site : la clé SSH de sw01 a changé, relevés bloqués"
    )
    assert f"pinned ssh-ed25519 {old}, the device now presents ssh-ed25519 {new}" in message.text
    assert f"prisme-drift -c {site.config_file} hostkey accept sw01" in message.text


def test_heartbeat_once_per_period(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"], notify='[notify]\nheartbeat = "daily"\n')
    run_poll(site.settings)
    run_poll(site.settings)
    (message,) = server.received
    assert message.subject == "[prisme-drift] test-site : toujours en veille"
    assert "Équipements suivis : 1" in message.text


def _cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args)


def test_run_and_outbox_commands(notify_site: Factory) -> None:
    site, server = notify_site(["sw01"], start=False)
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    run = _cli(site, "run", "--json")
    assert run.returncode == 3  # the drift decides the exit code, not the relay
    assert json.loads(run.stdout)["opened"]
    assert "notifications: 0 sent, 1 failed, 1 pending" in run.stderr
    listed = json.loads(_cli(site, "outbox", "list", "--json").stdout)
    assert [(m["channel"], m["status"], m["attempts"]) for m in listed] == [("email", "pending", 1)]
    assert "refused" in listed[0]["last_error"]
    server.start()
    retry = _cli(site, "outbox", "retry", str(listed[0]["id"]))
    assert retry.returncode == 0 and "delivered" in retry.stdout
    assert len(server.received) == 1
    assert list_outbox(site.settings) == []
    assert [m.status for m in list_outbox(site.settings, include_done=True)] == ["sent"]


def test_webhook_and_email_together(notify_site: Factory, webhook_server: object) -> None:
    from tests.notify.conftest import WebhookServer

    assert isinstance(webhook_server, WebhookServer)
    site, server = notify_site(["sw01"])
    text = site.config_file.read_text() + f'\n[webhook]\nurl = "{webhook_server.url}"\n'
    site.config_file.write_text(text)
    add_settings(site, '[notify]\nheartbeat = "off"\n')
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    run_poll(site.settings)
    assert len(server.received) == 1 and len(webhook_server.requests) == 1
    _headers, body = webhook_server.requests[0]
    assert body["events"][0]["kind"] == "drift_opened"
    assert body["events"][0]["payload"]["added"] == ["vlan 40", " name CFAO-TEMP"]
