"""The daemon and its inventory: an inventory emptied under it is refused at SIGHUP."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from tests.conftest import LabSite
from tests.daemon.conftest import (
    DaemonProcess,
    NotifyListener,
    finished_polls,
    query,
    set_poll_every,
    wait_until,
)

pytestmark = pytest.mark.lab


def test_sighup_refuses_an_empty_inventory_and_keeps_polling_the_old_one(
    lab_site: Callable[..., LabSite],
    notify: NotifyListener,
    daemons: Callable[..., DaemonProcess],
) -> None:
    site = lab_site(["sw01"])
    set_poll_every(site, "1s")
    daemon = daemons(site, notify).start()
    notify.wait_for("READY", timeout=30)
    wait_until(lambda: finished_polls(site) >= 1, 30, "a first poll")

    hosts = site.folder / "inventory" / "hosts.yaml"
    hosts.write_text("# every device commented out\n{}\n")
    daemon.send(signal.SIGHUP)
    daemon.wait_log("reload refused, the running configuration stays")
    assert f"{hosts}: no device defined" in daemon.output()
    assert "configuration reloaded" not in daemon.output()

    refused_at = finished_polls(site)
    wait_until(lambda: finished_polls(site) >= refused_at + 2, 30, "polls after the refusal")
    assert daemon.alive()
    last = query(site, "SELECT d.name, p.status FROM device_polls p JOIN devices d "
                 "ON d.id = p.device_id ORDER BY p.id DESC LIMIT 1")  # fmt: skip
    assert last == [("sw01", "unchanged")]  # still the old inventory's device
    code, _ = daemon.stop(signal.SIGTERM)
    assert code == 0
