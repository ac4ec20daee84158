"""The intervention report's view model, from plain inputs (no store, no SSH)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from prisme_drift.authorize.model import TicketKind
from prisme_drift.report.intervention import build_intervention
from prisme_drift.report.intervention_input import DeviceSide
from tests.report.intervention_case import END, NEW_SERIAL, OLD_SERIAL, case, ticket


def test_changes_are_placed_against_the_window_and_the_scope() -> None:
    view = build_intervention(case())
    rows = {r.change.id: r for r in view.changes}
    assert set(rows) == {1, 2, 3, 4}  # 5 is two days before, on a device out of scope
    assert rows[1].in_window and not rows[1].out_of_scope and not rows[1].stands_out
    assert rows[2].in_window and rows[2].device_in_scope and not rows[2].category_in_scope
    assert rows[3].in_window and not rows[3].device_in_scope and rows[3].stands_out
    assert not rows[4].in_window and rows[4].stands_out
    assert [r.change.id for r in view.outside_window] == [4]
    figures = view.figures()
    assert (figures["changes_in_window"], figures["out_of_scope"], figures["unauthorized"]) == (
        3,
        2,
        3,
    )


def test_before_and_after_show_the_vlan_and_the_port_that_changed() -> None:
    view = build_intervention(case())
    before = {s.device: s for s in view.before}["sw01"]
    after = {s.device: s for s in view.after}["sw01"]
    assert (before.serial, after.serial) == (OLD_SERIAL, NEW_SERIAL)
    assert before.address == "10.0.0.2" and before.poll is not None
    tables = {t.section: t for t in after.params}
    assert [row[0] for row in tables["vlans"].rows] == [1, 10, 40]
    # 20 ports: only the one that changed is listed, the other 19 are counted
    assert tables["interfaces"].rows == (
        ("GigabitEthernet1/0/3", None, None, "access", 40, None, []),
    )
    assert tables["interfaces"].hidden == 19
    paths = {d.change.path: d for d in view.differences if d.device == "sw01"}
    assert "vlans[40]" in paths
    assert paths["interfaces[GigabitEthernet1/0/3].access_vlan"].change.after == 40
    assert paths["facts.serial"].identity
    assert view.figures()["identity_changes"] == [
        {"device": "sw01", "fact": "facts.serial", "before": OLD_SERIAL, "after": NEW_SERIAL}
    ]


def test_a_change_row_carries_what_it_means_as_values() -> None:
    view = build_intervention(case())
    rows = {r.change.id: r for r in view.changes}
    assert [c.path for c in rows[1].facts] == ["vlans[40]"]  # "vlan 40 / name CFAO"
    assert rows[2].facts == ()  # Gi1/0/5's description: not Gi1/0/3's VLAN
    moved = replace(
        rows[2].change,
        path=("interface GigabitEthernet1/0/3",),
        added=("switchport access vlan 40",),
    )
    port = case(changes=(moved,))
    [row] = build_intervention(port).changes
    assert {c.path for c in row.facts} == {
        "interfaces[GigabitEthernet1/0/3].access_vlan",
        "vlans[40]",  # the line names VLAN 40 too
    }


def test_system_checks_after_the_window() -> None:
    checks = {c.device: c for c in build_intervention(case()).checks}
    assert checks["sw01"].polled_ok and checks["sw01"].no_quarantine
    assert checks["sw01"].neighbors_kept is True
    assert checks["sw02"].neighbors_kept is False
    assert checks["sw02"].lost_neighbors == ("GigabitEthernet1/0/48 → core",)
    quarantined = build_intervention(case(bad_polls={"sw01": ("quarantined",)}))
    assert not {c.device: c for c in quarantined.checks}["sw01"].no_quarantine
    no_after = build_intervention(case(after={}))
    assert not any(c.polled_ok for c in no_after.checks)
    assert all(c.neighbors_kept is None for c in no_after.checks)


def test_rollback_says_whether_the_configuration_went_back() -> None:
    view = build_intervention(case())
    assert {r.device: r.status for r in view.rollback} == {"sw01": "kept", "sw02": "no_change"}
    data = case()
    back = dict(data.after)
    back["sw01"] = DeviceSide(data.after["sw01"].poll, data.after["sw01"].state, "vlan 10\n")
    rolled = build_intervention(case(after=back))
    assert {r.device: r.status for r in rolled.rollback}["sw01"] == "returned"


def test_notes_number_version_and_transitional_end() -> None:
    view = build_intervention(case())
    assert view.number == "CR-cabinet-CHG-40"
    assert view.technicians == ("J. Martin",)
    assert [t.ok for t in view.tests] == [True, False]
    assert view.figures()["tests_ko"] == 1 and view.figures()["attachments"] == 1
    assert not view.transitional_pending
    again = build_intervention(case(version=2))
    assert again.number == "CR-cabinet-CHG-40-v2"
    transitional = ticket(kind=TicketKind.TRANSITIONAL, expires_at=END + timedelta(days=30))
    assert build_intervention(case(ticket=transitional)).transitional_pending
