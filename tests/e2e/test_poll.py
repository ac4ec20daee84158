"""The whole chain over real SSH against the lab: inventory -> collect -> guard -> git -> drift."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.drift.accept import accept_item
from prisme_drift.drift.items import list_items
from prisme_drift.models import DeviceStatus
from prisme_drift.poll import run_poll
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

VLAN_CHANGE = [
    "vlan 40",
    " name CFAO-TEMP",
    "exit",
    "interface GigabitEthernet1/0/3",
    " switchport access vlan 40",
    "exit",
]


def commits(site: LabSite, branch: str) -> int:
    out = subprocess.run(
        ["git", "--git-dir", str(site.settings.baseline_path), "rev-list", "--count", branch],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(out.stdout.strip() or 0)


def statuses(report: object) -> dict[str, str]:
    return {d.name: str(d.status) for d in report.devices}  # type: ignore[attr-defined]


def test_first_poll_sets_both_baselines(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    report = run_poll(site.settings)
    assert statuses(report) == {"sw01": "ok", "sw02": "ok"}
    assert report.exit_code == 0 and report.drift == ()
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        for name in ("sw01", "sw02"):
            observed = repo.read(OBSERVED, name, "ios")
            approved = repo.read(APPROVED, name, "ios")
            assert observed is not None and approved is not None
            assert observed.config == approved.config
            assert f"hostname {name}" in observed.config
            assert observed.facts["serial_number"] == site.device(name).serial
    assert commits(site, OBSERVED) == 1 and commits(site, APPROVED) == 1
    again = run_poll(site.settings)
    assert statuses(again) == {"sw01": "unchanged", "sw02": "unchanged"}
    assert commits(site, OBSERVED) == 1


def test_unauthorized_vlan_change_lifecycle(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    run_poll(site.settings)
    site.device("sw01").configure(VLAN_CHANGE)

    second = run_poll(site.settings)
    assert statuses(second) == {"sw01": "changed", "sw02": "unchanged"}
    assert second.exit_code == 3
    items = [i for i in second.drift if i.device == "sw01"]
    assert len(items) == 2, items  # the new VLAN, and the port moved into it
    assert {i.category for i in items} == {"vlan"}
    assert all(i.verdict == "unauthorized" and i.reason == "no_ticket" for i in items)
    new_vlan = next(i for i in items if not i.path)
    assert new_vlan.added == ("vlan 40", " name CFAO-TEMP")
    port = next(i for i in items if i.path)
    assert port.path == ("interface GigabitEthernet1/0/3",)
    assert port.added == ("switchport access vlan 40",)
    assert new_vlan.appeared_after is not None and new_vlan.appeared_after < new_vlan.opened_at
    assert any("no vlan 40" in line for line in new_vlan.remediation)
    assert commits(site, OBSERVED) == 2 and commits(site, APPROVED) == 1

    third = run_poll(site.settings)  # still there: same items, no duplicates, no commit
    assert sorted(i.id for i in third.drift) == sorted(i.id for i in items)
    assert third.opened == () and commits(site, OBSERVED) == 2

    site.device("sw01").configure(
        ["interface GigabitEthernet1/0/3", " switchport access vlan 10", "exit", "no vlan 40"]
    )
    fourth = run_poll(site.settings)
    assert fourth.drift == () and fourth.exit_code == 0
    assert sorted(fourth.closed) == sorted(i.id for i in items)
    closed = list_items(site.settings, include_closed=True)
    assert {i.close_reason for i in closed} == {"reverted"}
    assert commits(site, APPROVED) == 1


def test_accept_moves_approved_by_that_hunk_only(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").configure([*VLAN_CHANGE, "snmp-server location Baie 2"])
    report = run_poll(site.settings)
    by_cat = {}
    for item in report.drift:
        by_cat.setdefault(item.category, []).append(item)
    assert set(by_cat) == {"vlan", "management"}
    mgmt = by_cat["management"][0]
    accepted = accept_item(site.settings, mgmt.id, by="Jean Technicien", reason="CHG-12 signed")
    assert accepted.verdict == "accepted" and accepted.closed_at is not None
    after = run_poll(site.settings)
    assert {i.category for i in after.drift} == {"vlan"}
    assert mgmt.id not in {i.id for i in after.drift}
    log = subprocess.run(
        [
            "git",
            "--git-dir",
            str(site.settings.baseline_path),
            "log",
            "-1",
            "--format=%B",
            APPROVED,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Accepted-by: Jean Technicien" in log.stdout
    assert f"Drift-item: {mgmt.id}" in log.stdout


def test_dead_device_is_failed_and_baseline_kept(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    run_poll(site.settings)
    before = commits(site, OBSERVED)
    site.lab.stop_device("sw02")
    report = run_poll(site.settings)
    outcome = {d.name: d for d in report.devices}
    assert outcome["sw02"].status == DeviceStatus.FAILED
    assert outcome["sw02"].error_kind == "unreachable"
    assert outcome["sw01"].status == DeviceStatus.UNCHANGED
    assert report.exit_code == 4
    assert commits(site, OBSERVED) == before
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        kept = repo.read(OBSERVED, "sw02", "ios")
        assert kept is not None and "hostname sw02" in kept.config
    site.lab.start_device("sw02")
    assert statuses(run_poll(site.settings))["sw02"] == "unchanged"


@pytest.mark.parametrize(
    ("fault", "reason"), [("truncate", "truncated"), ("error", "error_text"), ("empty", "empty")]
)
def test_bad_fetch_is_quarantined_with_zero_commits(
    lab_site: Callable[..., LabSite], fault: str, reason: str
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings)
    before = commits(site, OBSERVED)
    site.device("sw01").fault = fault
    report = run_poll(site.settings)
    outcome = report.devices[0]
    assert outcome.status == DeviceStatus.QUARANTINED, outcome
    assert outcome.error_kind == reason
    assert report.drift == () and report.exit_code == 4
    assert commits(site, OBSERVED) == before
    site.device("sw01").fault = None
    assert statuses(run_poll(site.settings)) == {"sw01": "unchanged"}


def test_devices_on_different_ports_each_get_their_own_config(
    lab_site: Callable[..., LabSite],
) -> None:
    names = [f"sw{n:02d}" for n in range(1, 6)]
    site = lab_site(names)
    ports = {site.device(n).port for n in names}
    assert len(ports) == 5
    report = run_poll(site.settings)
    assert set(statuses(report).values()) == {"ok"}
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        for name in names:
            snap = repo.read(OBSERVED, name, "ios")
            assert snap is not None
            assert f"hostname {name}\n" in snap.config
            assert snap.facts["hostname"] == name
            assert snap.facts["serial_number"] == site.device(name).serial


def test_wrong_password_is_auth_and_not_retried(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"], retries=2)
    creds = site.folder / "credentials.yaml"
    creds.write_text(creds.read_text().replace(site.password, "wrong-password"))
    report = run_poll(site.settings)
    assert report.devices[0].error_kind == "auth"
    from prisme_drift.store.engine import make_engine, session_factory
    from prisme_drift.store.models import DevicePoll

    engine = make_engine(site.settings.database_url)
    with session_factory(engine)() as session:
        attempts = [row.attempts for row in session.query(DevicePoll).all()]
    engine.dispose()
    assert attempts == [1]


def test_hung_device_costs_at_most_its_time_limit(lab_site: Callable[..., LabSite]) -> None:
    import time

    site = lab_site(["sw01", "sw02"], timeout=6)
    run_poll(site.settings)
    site.device("sw02").fault = "hang"
    started = time.monotonic()
    report = run_poll(site.settings)
    elapsed = time.monotonic() - started
    outcome = {d.name: d for d in report.devices}
    assert outcome["sw02"].status == DeviceStatus.FAILED
    assert outcome["sw02"].error_kind == "timeout"
    assert outcome["sw01"].status == DeviceStatus.UNCHANGED
    assert elapsed < 6 + 10  # the limit, plus connection set-up and the other device


def test_changed_host_key_blocks_the_device(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings)
    assert (site.settings.state_path / "known_hosts").exists()
    site.lab.rotate_host_key("sw01")
    report = run_poll(site.settings)
    assert report.devices[0].status == DeviceStatus.FAILED
    assert report.devices[0].error_kind == "hostkey"


def test_accented_description_survives_byte_by_byte_output(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    device = site.device("sw01")
    device.configure(
        ["interface GigabitEthernet1/0/2", " description Salle de radiologie éèà ✓", "exit"]
    )
    device.byte_by_byte = True
    run_poll(site.settings)
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        snap = repo.read(OBSERVED, "sw01", "ios")
    assert snap is not None
    assert " description Salle de radiologie éèà ✓\n" in snap.config


def test_facts_failure_keeps_the_configuration(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings)
    site.device("sw01").fault = "broken_show"
    site.device("sw01").configure(["vlan 41", " name LABO", "exit"])
    report = run_poll(site.settings)
    assert statuses(report) == {"sw01": "changed"}
    assert [i.category for i in report.drift] == ["vlan"]  # facts unknown: not a device change
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        snap = repo.read(OBSERVED, "sw01", "ios")
    assert snap is not None and "vlan 41" in snap.config
    assert snap.facts["serial_number"] == site.device("sw01").serial  # carried forward
