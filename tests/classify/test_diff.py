"""Hunk diff and categories on IOS configurations."""

from __future__ import annotations

from prisme_drift.classify import diff_configs, diff_facts
from prisme_drift.classify.patch import apply_hunks
from prisme_drift.classify.remediation import remediation_lines
from prisme_drift.models import Category
from prisme_drift.profiles import get_profile

IOS = get_profile("ios")
BASE = """hostname sw01
vlan 10
 name STAFF
vlan 20
 name IMAGING
interface GigabitEthernet1/0/1
 description Poste accueil
 switchport access vlan 10
 switchport mode access
interface GigabitEthernet1/0/2
 description CBCT
 switchport access vlan 20
interface Vlan99
 ip address 10.99.0.2 255.255.255.0
ip access-list extended MGMT
 permit tcp 10.99.0.0 0.0.0.255 any eq 22
 deny ip any any
ip route 0.0.0.0 0.0.0.0 10.99.0.1
snmp-server location Salle serveur
end
"""


def cats(old: str, new: str) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for hunk in diff_configs(old, new, IOS):
        out.setdefault(str(hunk.category), []).append(hunk.added + hunk.removed)
    return out


def test_identical_gives_no_hunks() -> None:
    assert diff_configs(BASE, BASE, IOS) == []


def test_new_vlan_is_one_vlan_hunk_with_its_name() -> None:
    new = BASE.replace("vlan 20\n name IMAGING\n", "vlan 30\n name CFAO\nvlan 20\n name IMAGING\n")
    hunks = diff_configs(BASE, new, IOS)
    assert len(hunks) == 1
    assert hunks[0].category == Category.VLAN
    assert hunks[0].added == ("vlan 30", " name CFAO")
    assert hunks[0].path == ()


def test_port_vlan_and_description_are_two_categories() -> None:
    new = BASE.replace(" switchport access vlan 10", " switchport access vlan 20").replace(
        "Poste accueil", "Poste radio"
    )
    hunks = {h.category: h for h in diff_configs(BASE, new, IOS)}
    assert set(hunks) == {Category.VLAN, Category.INTERFACE}
    assert hunks[Category.VLAN].removed == ("switchport access vlan 10",)
    assert hunks[Category.VLAN].added == ("switchport access vlan 20",)
    assert hunks[Category.VLAN].path == ("interface GigabitEthernet1/0/1",)


def test_each_family_gets_its_category() -> None:
    changes = {
        "routing": BASE.replace(
            "ip route 0.0.0.0 0.0.0.0 10.99.0.1", "ip route 0.0.0.0 0.0.0.0 10.99.0.254"
        ),
        "addressing": BASE.replace("10.99.0.2 255", "10.99.0.3 255"),
        "acl": BASE.replace(" deny ip any any", " permit ip any any"),
        "management": BASE.replace("Salle serveur", "Baie 2"),
        "interface": BASE.replace("description CBCT", "description CBCT Orthophos"),
    }
    for category, new in changes.items():
        assert set(cats(BASE, new)) == {category}, category


def test_acl_order_matters() -> None:
    swapped = BASE.replace(
        " permit tcp 10.99.0.0 0.0.0.255 any eq 22\n deny ip any any",
        " deny ip any any\n permit tcp 10.99.0.0 0.0.0.255 any eq 22",
    )
    hunks = diff_configs(BASE, swapped, IOS)
    assert hunks and {h.category for h in hunks} == {Category.ACL}


def test_interface_order_does_not_matter() -> None:
    block1 = (
        "interface GigabitEthernet1/0/1\n description Poste accueil\n"
        " switchport access vlan 10\n switchport mode access\n"
    )
    block2 = "interface GigabitEthernet1/0/2\n description CBCT\n switchport access vlan 20\n"
    reordered = BASE.replace(block1 + block2, block2 + block1)
    assert reordered != BASE
    assert diff_configs(BASE, reordered, IOS) == []


def test_fingerprint_is_stable_and_device_specific() -> None:
    new = BASE.replace("vlan 20\n name IMAGING\n", "vlan 30\n name CFAO\nvlan 20\n name IMAGING\n")
    first = diff_configs(BASE, new, IOS)[0]
    again = diff_configs(BASE, new, IOS)[0]
    assert first.fingerprint("sw01") == again.fingerprint("sw01")
    assert first.fingerprint("sw01") != first.fingerprint("sw02")


def test_facts_change_is_a_device_hunk_and_uptime_is_not() -> None:
    old = {"serial_number": "FOC1", "model": "C2960X", "os_version": "15.2", "uptime": 10}
    assert diff_facts(old, {**old, "uptime": 99999}) == []
    hunks = diff_facts(old, {**old, "serial_number": "FOC2"})
    assert len(hunks) == 1 and hunks[0].category == Category.DEVICE
    assert hunks[0].removed == ("serial_number: FOC1",)
    assert hunks[0].added == ("serial_number: FOC2",)


def test_apply_one_hunk_moves_only_that_change() -> None:
    new = BASE.replace(
        "vlan 20\n name IMAGING\n", "vlan 30\n name CFAO\nvlan 20\n name IMAGING\n"
    ).replace("Salle serveur", "Baie 2")
    hunks = diff_configs(BASE, new, IOS)
    vlan = [h for h in hunks if h.category == Category.VLAN]
    moved = apply_hunks(BASE, new, vlan, IOS)
    left = diff_configs(moved, new, IOS)
    assert [h.category for h in left] == [Category.MANAGEMENT]
    assert diff_configs(apply_hunks(BASE, new, hunks, IOS), new, IOS) == []


def test_remediation_returns_to_approved() -> None:
    new = BASE.replace(" switchport access vlan 10", " switchport access vlan 20")
    lines = remediation_lines(BASE, new, IOS)
    assert "interface GigabitEthernet1/0/1" in lines
    assert any(line.strip() == "switchport access vlan 10" for line in lines)


def test_duplicate_sections_fall_back_to_indentation_parser() -> None:
    dup = BASE.replace("vlan 20\n name IMAGING\n", "vlan 20\n name IMAGING\nvlan 20\n name X\n")
    hunks = diff_configs(BASE, dup, IOS)
    assert hunks and all(h.category == Category.VLAN for h in hunks)
