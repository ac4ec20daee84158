"""Two sites with their own lab devices copy themselves into one central database."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from prisme_drift.config import load_settings
from prisme_drift.drift.accept import accept_item
from prisme_drift.errors import FleetError
from prisme_drift.fleet import sources
from prisme_drift.fleet.sync import _Run, sync_site
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.fleet.conftest import Central
from tests.fleet.snapshots import central_snapshot, site_snapshot

pytestmark = [pytest.mark.lab, pytest.mark.postgres]


def prisme(*args: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift ARGS``, run in this process (tests/clirun.py)."""
    return run_cli(*args)


VLAN_CHANGE = ["vlan 40", " name CFAO-TEMP", "exit"]


def fleet_site(
    lab_site: Callable[..., LabSite], central: Central, name: str, devices: list[str]
) -> LabSite:
    """A lab site named ``name`` whose ``[fleet]`` points at the central database."""
    site = lab_site(devices)
    role = central.site_role(name)
    text = site.config_file.read_text().replace('name = "test-site"', f'name = "{name}"')
    site.config_file.write_text(text + role.fleet_section(site.folder))
    site.settings = load_settings(site.config_file)
    return site


def history(site: LabSite) -> None:
    """Polls, an unauthorized change, an acceptance (audit entry), a revert."""
    run_poll(site.settings)
    site.device("sw01").configure(VLAN_CHANGE)
    report = run_poll(site.settings)
    assert report.exit_code == 3 and report.opened
    accept_item(site.settings, report.opened[0], by="tech", reason="CHG-7 done")
    run_poll(site.settings)


def test_two_sites_copy_themselves_whole_and_only_once(
    lab_site: Callable[..., LabSite], central: Central
) -> None:
    a = fleet_site(lab_site, central, "clinic-a", ["sw01", "sw02"])
    b = fleet_site(lab_site, central, "clinic-b", ["sw01"])
    history(a)
    run_poll(b.settings)
    b.device("sw01").configure(VLAN_CHANGE)
    assert run_poll(b.settings).exit_code == 3  # left open: unauthorized
    first_a = sync_site(a.settings)
    done = prisme("-c", str(b.config_file), "fleet", "sync")  # by hand, as the site's role
    assert done.returncode == 0 and "fleet sync:" in done.stdout, done.stderr
    assert first_a.rows["polls"] == 3
    for site in (a, b):
        assert central_snapshot(central.engine, site.settings.site.name) == site_snapshot(
            site.settings
        )
    again = sync_site(a.settings)  # nothing new: append-only tables copy nothing
    assert again.rows["polls"] == again.rows["events"] == again.rows["audit_entries"] == 0
    run_poll(a.settings)
    sync_site(a.settings)
    assert central_snapshot(central.engine, "clinic-a") == site_snapshot(a.settings)
    assert central_snapshot(central.engine, "clinic-b") == site_snapshot(b.settings)

    shown = prisme("fleet", "status", "--url", central.url, "--json")
    assert shown.returncode == 0, shown.stderr
    lines = {line["site"]: line for line in json.loads(shown.stdout)}
    assert set(lines) == {"clinic-a", "clinic-b"}
    assert lines["clinic-a"]["devices"] == 2 and lines["clinic-b"]["devices"] == 1
    assert lines["clinic-a"]["open_unauthorized"] == 0
    assert lines["clinic-b"]["open_unauthorized"] == 1
    assert lines["clinic-a"]["client"] == "Cabinet Test" and lines["clinic-a"]["failing"] == 0
    assert lines["clinic-a"]["last_poll"] and lines["clinic-b"]["last_sync"]
    listed = prisme("fleet", "drift", "list", "--site", "clinic-b", "--url", central.url, "--json")
    (item,) = json.loads(listed.stdout)
    assert item["device"] == "sw01" and item["verdict"] == "unauthorized"
    assert item["added"][0] == "vlan 40"
    as_site_b = prisme("-c", str(b.config_file), "fleet", "status", "--json")  # its own role
    assert [line["site"] for line in json.loads(as_site_b.stdout)] == ["clinic-b"]


def test_a_sync_cut_short_resumes_without_duplicates(
    lab_site: Callable[..., LabSite], central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = fleet_site(lab_site, central, "clinic-c", ["sw01", "sw02"])
    history(site)
    monkeypatch.setattr(sources, "BATCH", 2)
    calls = {"n": 0}
    original = _Run.check_time

    def run_out_of_time(run: _Run, table: str) -> None:
        calls["n"] += 1
        if calls["n"] > 3:  # the fourth batch finds the time spent
            run.deadline = 0.0
        original(run, table)

    monkeypatch.setattr(_Run, "check_time", run_out_of_time)
    with pytest.raises(FleetError, match="gave up at table") as caught:
        sync_site(site.settings)
    assert site.password not in str(caught.value)
    partial = central_snapshot(central.engine, "clinic-c")
    assert partial != site_snapshot(site.settings)
    monkeypatch.setattr(_Run, "check_time", original)
    resumed = sync_site(site.settings)
    assert resumed.rows["polls"] < 3  # it went on from the watermark, not from the start
    assert central_snapshot(central.engine, "clinic-c") == site_snapshot(site.settings)


def test_a_refused_login_is_a_clear_error_that_never_shows_the_password(
    lab_site: Callable[..., LabSite], central: Central
) -> None:
    site = fleet_site(lab_site, central, "clinic-d", ["sw01"])
    role = site.settings.fleet.url.split("//")[1].split("@")[0]  # type: ignore[union-attr]
    text = site.config_file.read_text().replace(f"//{role}@", "//no_such_role@")
    site.config_file.write_text(text)
    with pytest.raises(FleetError) as caught:
        sync_site(load_settings(site.config_file))
    message = str(caught.value)
    secret = (site.folder / "fleet-db-password").read_text().strip()
    assert "central fleet database" in message and "no_such_role" in message
    assert secret not in message
