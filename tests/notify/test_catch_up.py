"""Items open before a channel existed are notified on it once (docs/alerts.md), over real SSH
polls of the lab and a real SMTP server / webhook receiver on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from prisme_drift.notify.sender import deliver_due, list_outbox
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.notify.conftest import NOTIFY_QUIET, SmtpServer, WebhookServer, add_settings

pytestmark = pytest.mark.lab

NEW_VLAN = ["vlan 40", " name CFAO-TEMP", "exit"]


def _cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args)


def test_item_opened_before_smtp_is_emailed_once_when_smtp_is_added(
    lab_site: Callable[..., LabSite], smtp_server: Callable[..., SmtpServer]
) -> None:
    site = lab_site(["sw01"])
    add_settings(site, NOTIFY_QUIET)  # no [smtp], no [webhook]: events recorded, nothing queued
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    opened = run_poll(site.settings)
    assert len(opened.opened) == 1
    assert list_outbox(site.settings, include_done=True) == []

    server = smtp_server()
    add_settings(site, NOTIFY_QUIET + server.toml(site.folder))
    sent = _cli(site, "outbox", "send")
    assert sent.returncode == 0, sent.stderr
    (message,) = server.received
    assert message.subject == (
        "[prisme-drift] test-site : modification non autorisée sur sw01 (VLAN)"
    )
    assert f"drift accept {opened.opened[0]} " in message.text

    run_poll(site.settings)  # the next poll: nothing new to say
    deliver_due(site.settings)  # another sender run, as after a restart
    assert len(server.received) == 1
    site.device("sw01").configure(["no vlan 40"])
    run_poll(site.settings)  # the item closes: the channel that heard of it hears of its end
    assert len(server.received) == 2
    assert "fin de la modification non autorisée" in server.received[1].subject


def test_next_poll_catches_up_too_and_closed_items_are_not_sent(
    lab_site: Callable[..., LabSite], smtp_server: Callable[..., SmtpServer]
) -> None:
    site = lab_site(["sw01", "sw02"])
    add_settings(site, NOTIFY_QUIET)
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    site.device("sw02").configure(NEW_VLAN)
    run_poll(site.settings)
    site.device("sw02").configure(["no vlan 40"])
    run_poll(site.settings)  # sw02's item closed while nobody could be told

    server = smtp_server()
    add_settings(site, NOTIFY_QUIET + server.toml(site.folder))
    run_poll(site.settings)
    (message,) = server.received
    assert "sur sw01 (VLAN)" in message.subject
    assert "sw02" not in message.text
    run_poll(site.settings)
    assert len(server.received) == 1


def test_webhook_added_later_gets_the_open_items_once_email_nothing_again(
    lab_site: Callable[..., LabSite],
    smtp_server: Callable[..., SmtpServer],
    webhook_server: WebhookServer,
) -> None:
    site = lab_site(["sw01"])
    server = smtp_server()
    add_settings(site, NOTIFY_QUIET + server.toml(site.folder))
    run_poll(site.settings)
    site.device("sw01").configure(NEW_VLAN)
    run_poll(site.settings)
    assert len(server.received) == 1

    text = site.config_file.read_text() + f'\n[webhook]\nurl = "{webhook_server.url}"\n'
    site.config_file.write_text(text)
    add_settings(site, NOTIFY_QUIET)
    run_poll(site.settings)
    (request,) = webhook_server.requests
    assert [e["kind"] for e in request[1]["events"]] == ["drift_opened"]
    assert len(server.received) == 1  # email already had it: not sent again
    run_poll(site.settings)
    deliver_due(site.settings)
    assert len(webhook_server.requests) == 1 and len(server.received) == 1
