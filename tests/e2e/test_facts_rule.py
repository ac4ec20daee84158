"""The configuration poll's facts over real SSH to the lab: asked when the configuration
changed, for a new device, once a day, at window edges and with ``run --state``; an unchanged
poll types the configuration's commands alone and keeps the facts it knew (``poll.facts``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.models import DeviceStatus
from prisme_drift.poll import run_poll
from prisme_drift.state.refresh import REFRESH_FILE
from prisme_drift.timefmt import utcnow
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

#: What NAPALM's ios ``get_facts`` types (the configuration poll's facts).
FACT_COMMANDS = {"show version", "show hosts", "show ip interface brief"}


def typed_during(site: LabSite, poll: Callable[[], object]) -> tuple[object, list[str]]:
    device = site.device("sw01")
    mark = len(device.commands())
    result = poll()
    return result, device.commands()[mark:]


def observed_facts(site: LabSite) -> dict[str, object]:
    with BaselineRepo(site.settings.baseline_path, site.settings.site.name) as repo:
        snapshot = repo.read(OBSERVED, "sw01", "ios")
    assert snapshot is not None
    return snapshot.facts


def test_facts_only_when_due_never_on_an_unchanged_poll(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    settings = site.settings
    _, first = typed_during(site, lambda: run_poll(settings, deliver=False))
    assert set(first) >= FACT_COMMANDS  # a new device: facts asked
    facts = observed_facts(site)
    assert facts.get("serial_number")

    report, unchanged = typed_during(site, lambda: run_poll(settings, deliver=False))
    assert [d.status for d in report.devices] == [DeviceStatus.UNCHANGED]  # type: ignore[attr-defined]
    assert not FACT_COMMANDS & set(unchanged), unchanged
    assert "show running-config" in unchanged
    assert observed_facts(site) == facts  # carried forward, not lost

    site.device("sw01").configure(["vlan 77", " name FACTS-RULE", "exit"])
    _, changed = typed_during(site, lambda: run_poll(settings, deliver=False))
    assert set(changed) >= FACT_COMMANDS  # the configuration changed

    _, forced = typed_during(site, lambda: run_poll(settings, deliver=False, state=True))
    assert set(forced) >= FACT_COMMANDS  # run --state

    _, window = typed_during(
        site, lambda: run_poll(settings, deliver=False, trigger="window-CHG-1-start")
    )
    assert set(window) >= FACT_COMMANDS  # a ticket window edge

    _, quiet = typed_during(site, lambda: run_poll(settings, deliver=False))
    assert not FACT_COMMANDS & set(quiet)

    stamps = settings.state_path / REFRESH_FILE
    day_ago = (utcnow() - timedelta(hours=25)).isoformat()
    stamps.write_text(json.dumps({"sw01": day_ago}))
    _, daily = typed_during(site, lambda: run_poll(settings, deliver=False))
    assert set(daily) >= FACT_COMMANDS  # once a day
    assert json.loads(stamps.read_text())["sw01"] != day_ago  # refreshed: not every poll after


def test_netmiko_fact_commands_follow_the_same_rule(lab_site: Callable[..., LabSite]) -> None:
    """A Netmiko profile's fact-rule commands (FortiOS ``get system status``) likewise."""
    site = lab_site({"fw01": "fortinet"})
    device = site.device("fw01")
    run_poll(site.settings, deliver=False)
    assert "get system status" in device.commands()
    with BaselineRepo(site.settings.baseline_path, site.settings.site.name) as repo:
        first = repo.read(OBSERVED, "fw01", "fortinet")
    assert first is not None and first.facts.get("serial_number")
    mark = len(device.commands())
    report = run_poll(site.settings, deliver=False)
    assert [d.status for d in report.devices] == [DeviceStatus.UNCHANGED]
    assert "get system status" not in device.commands()[mark:]
    with BaselineRepo(site.settings.baseline_path, site.settings.site.name) as repo:
        again = repo.read(OBSERVED, "fw01", "fortinet")
    assert again is not None and again.facts == first.facts
