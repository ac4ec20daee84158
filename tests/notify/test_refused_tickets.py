"""Every ticket source goes through the approval checks: a YAML ticket that fails them is
refused, authorizes nothing, and is alerted once per version (real SSH polls, real SMTP)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
import yaml

from prisme_drift.drift.items import list_items
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.e2e.test_tickets import VLAN_40, write_ticket
from tests.notify.conftest import SmtpServer

pytestmark = pytest.mark.lab

Factory = Callable[..., tuple[LabSite, SmtpServer]]


def _cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args)


def test_yaml_ticket_naming_an_unknown_device_is_refused_once_then_works_when_fixed(
    notify_site: Factory,
) -> None:
    site, server = notify_site(["sw01"])
    run_poll(site.settings)
    write_ticket(site, "CHG-30", devices=["sw01", "sw99"])
    path = site.folder / "tickets" / "CHG-30.yaml"
    site.device("sw01").configure(VLAN_40)

    run = _cli(site, "run")
    assert run.returncode == 3, run.stderr  # the ticket authorizes nothing
    assert f"{path}: ticket CHG-30 refused" in run.stderr
    assert "devices not in the inventory: sw99" in run.stderr
    [item] = list_items(site.settings)
    assert (item.verdict, item.reason) == ("unauthorized", "no_ticket")
    subjects = sorted(m.subject for m in server.received)
    assert subjects == [
        "[prisme-drift] test-site : modification non autorisée sur sw01 (VLAN)",
        "[prisme-drift] test-site : ticket CHG-30 refusé, il n'autorise rien",
    ]
    [refusal] = [m for m in server.received if "CHG-30" in m.subject]
    assert str(path) in refusal.text and "sw99" in refusal.text

    listed = _cli(site, "ticket", "list", "--json")
    [ticket] = json.loads(listed.stdout)
    assert ticket["status"] == "refused" and "sw99" in ticket["refused"]
    assert "ticket CHG-30 refused" in listed.stderr
    shown = json.loads(_cli(site, "ticket", "show", "CHG-30", "--json").stdout)
    assert shown["status"] == "refused" and shown["devices"] == ["sw01", "sw99"]
    audit = json.loads(_cli(site, "audit", "list", "--json").stdout)
    assert [e["subject"] for e in audit if e["action"] == "ticket.refused"] == ["CHG-30"]

    run_poll(site.settings)  # still refused: no second alert
    assert len(server.received) == 2

    write_ticket(site, "CHG-30", devices=["sw01"])  # fixed: the same ticket now authorizes
    fixed = run_poll(site.settings)
    assert fixed.drift == () and item.id in fixed.closed and fixed.warnings == ()
    assert len(server.received) == 3
    assert "fin de la modification non autorisée" in server.received[2].subject
    [ticket] = json.loads(_cli(site, "ticket", "list", "--json").stdout)
    assert ticket["status"] == "approved"


def test_yaml_ticket_without_mandate_on_a_restricted_device_is_refused(
    notify_site: Factory,
) -> None:
    site, server = notify_site(["sw01"])
    hosts_file = site.folder / "inventory" / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["sw01"]["data"]["restricted"] = {"manufacturer": "Dentsply Sirona"}
    hosts_file.write_text(yaml.safe_dump(hosts))
    run_poll(site.settings)
    write_ticket(site, "CHG-31", rollback="")
    site.device("sw01").configure(VLAN_40)
    report = run_poll(site.settings)
    [warning] = report.warnings
    assert "no rollback plan" in warning and "Dentsply Sirona" in warning
    assert report.exit_code == 3
    assert [m.subject for m in server.received if "CHG-31" in m.subject] == [
        "[prisme-drift] test-site : ticket CHG-31 refusé, il n'autorise rien"
    ]
