"""Remediation hints per method, and the share of them each hunk gets."""

from __future__ import annotations

import pytest

from prisme_drift.classify import diff_configs
from prisme_drift.classify import remediation as remediation_module
from prisme_drift.classify.remediation import remediation_for, remediation_lines
from prisme_drift.models import Category, Hunk
from prisme_drift.profiles import get_profile

FORTINET = get_profile("fortinet")
JUNOS = get_profile("junos")
ROUTEROS = get_profile("mikrotik_routeros")

VIP = 'config firewall vip\n    edit "V1"\n        set extport 443\n    next\nend\n'
POLICY = 'config firewall policy\n    edit {n}\n        set dstaddr "{d}"\n    next\nend\n'


def test_fortios_edit_on_the_device_only_is_deleted_not_emptied() -> None:
    approved = "config firewall policy\n    edit 1\n        set action accept\n    next\nend\n"
    observed = approved.replace(
        "    next\nend", "    next\n    edit 2\n        set action accept\n    next\nend"
    )
    assert remediation_lines(approved, observed, FORTINET) == [
        "config firewall policy",
        "    delete 2",
        "end",
    ]


def test_fortios_policy_is_deleted_before_the_vip_it_uses() -> None:
    observed = VIP + POLICY.format(n=7, d="V1")
    lines = remediation_lines("config system global\n    set x 1\nend\n", observed, FORTINET)
    assert lines.index("    delete 7") < lines.index('    delete "V1"')


def test_fortios_setting_missing_from_approved_is_unset() -> None:
    approved = "config system global\n    set a 1\nend\n"
    observed = "config system global\n    set a 1\n    set b 2\nend\n"
    assert remediation_lines(approved, observed, FORTINET) == [
        "config system global",
        "    unset b",
        "end",
    ]


def test_fortios_order_is_restored_with_move() -> None:
    one, two = POLICY.format(n=1, d="a"), POLICY.format(n=2, d="b")
    approved = one.replace("    next\nend\n", "    next\n" + two.split("\n", 1)[1])
    observed = two.replace("    next\nend\n", "    next\n" + one.split("\n", 1)[1])
    assert remediation_lines(approved, observed, FORTINET) == [
        "config firewall policy",
        "    move 1 before 2",
        "end",
    ]


def test_junos_whole_object_is_deleted_at_once_and_deactivate_undone() -> None:
    approved = "set vlans A vlan-id 10\n"
    observed = approved + "set vlans B vlan-id 20\nset vlans B description x\ndeactivate vlans A\n"
    assert remediation_lines(approved, observed, JUNOS) == ["activate vlans A", "delete vlans B"]


def test_routeros_added_entry_is_removed_by_its_attributes() -> None:
    approved = '/ip firewall filter add action=accept chain=input comment="a b"\n'
    observed = approved + "/ip firewall filter add action=drop chain=input\n"
    assert remediation_lines(approved, observed, ROUTEROS) == [
        "/ip firewall filter remove [find where action=drop and chain=input]"
    ]


def test_routeros_entry_with_a_name_is_set_in_place() -> None:
    approved = "/ip pool add name=p ranges=10.0.0.10-10.0.0.20\n"
    observed = "/ip pool add comment=x name=p ranges=10.0.0.10-10.0.0.90\n"
    assert remediation_lines(approved, observed, ROUTEROS) == [
        "/ip pool set [find where name=p] ranges=10.0.0.10-10.0.0.20",
        "/ip pool unset [find where name=p] value-name=comment",
    ]


def test_unknown_method_or_failure_gives_no_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setitem(remediation_module._TREE_METHODS, "edit_blocks", broken)
    assert remediation_lines("config a\nend\n", "config b\nend\n", FORTINET) == []
    assert remediation_lines("x", "y", get_profile("linux")) == []


def test_each_fortios_hunk_gets_its_config_block_with_its_end() -> None:
    approved = (
        "config system dns\n    set primary 1.1.1.1\nend\nconfig system global\n    set a 1\nend\n"
    )
    observed = approved.replace("1.1.1.1", "8.8.8.8").replace("set a 1", "set a 2")
    hunks = {h.path[0]: h for h in diff_configs(approved, observed, FORTINET)}
    lines = remediation_lines(approved, observed, FORTINET)
    assert remediation_for(hunks["config system dns"], lines, FORTINET) == [
        "config system dns",
        "    set primary 1.1.1.1",
        "end",
    ]


def test_flat_hunks_get_the_lines_of_their_group() -> None:
    hunk = Hunk(Category.VLAN, ("vlans B",), added=("set vlans B vlan-id 20",))
    lines = ["delete vlans B", "delete vlans BB", "set vlans C vlan-id 1"]
    assert remediation_for(hunk, lines, JUNOS) == ["delete vlans B"]


def test_top_level_hunks_match_their_own_lines() -> None:
    hunk = Hunk(Category.VLAN, (), added=("vlan 40", " name X"))
    lines = ["no vlan 40", "no vlan 4", "interface Gi1", " shutdown"]
    assert remediation_for(hunk, lines, get_profile("ios")) == ["no vlan 40"]
    assert remediation_for(hunk, [], get_profile("ios")) == []


def test_one_misplaced_rule_is_one_move() -> None:
    from prisme_drift.classify.sequence import moves

    target = [f"p{i}" for i in range(50)]
    current = target[:10] + target[11:] + ["p10"]
    assert list(moves(target, current)) == [("p10", "after", "p9")]
    assert current == target


def test_moves_replayed_give_the_approved_order() -> None:
    from prisme_drift.classify.sequence import moves

    target = ["a", "b", "c", "d", "e"]
    device = ["d", "x", "b", "e", "a"]  # "c" is missing, "x" will be deleted
    order = [*device, "c"]  # the device appends what is created
    for name, where, anchor in moves(target, list(device)):
        order.remove(name)
        order.insert(order.index(anchor) + (where == "after"), name)
    assert [n for n in order if n in target] == target
