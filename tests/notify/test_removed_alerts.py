"""A device removed from the inventory: one email over a real SMTP server, never repeated."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from prisme_drift.poll import run_poll
from tests.conftest import LabSite
from tests.notify.conftest import SmtpServer

pytestmark = pytest.mark.lab

Factory = Callable[..., tuple[LabSite, SmtpServer]]


def test_removal_is_one_email_listing_the_items_it_closed(notify_site: Factory) -> None:
    site, server = notify_site(["sw01", "sw02"])
    run_poll(site.settings)
    site.device("sw02").configure(["vlan 40", " name CFAO-TEMP", "exit"])
    run_poll(site.settings)
    assert len(server.received) == 1  # the unauthorized VLAN
    hosts = site.folder / "inventory" / "hosts.yaml"
    inventory = yaml.safe_load(hosts.read_text())
    del inventory["sw02"]
    hosts.write_text(yaml.safe_dump(inventory))

    run_poll(site.settings)
    run_poll(site.settings)
    assert len(server.received) == 2  # one email for the removal, none at the next poll
    message = server.received[1]
    assert message.subject == (
        "[prisme-drift] test-site : sw02 retiré de l'inventaire, plus surveillé"
    )
    assert "sw02 a été retiré de l'inventaire" in message.text
    assert "Dérives ouvertes refermées (motif : équipement retiré) :" in message.text
    assert "#1  VLAN  + vlan 40" in message.text
    assert "fin de la modification" not in message.text  # no separate drift_closed section
