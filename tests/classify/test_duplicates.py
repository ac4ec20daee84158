"""A section written twice (hand-edited, concatenated or exported configurations): handled as the
device does, with no hier_config traceback and no warning at every poll."""

from __future__ import annotations

import logging

import pytest

from prisme_drift.classify import diff_configs
from prisme_drift.classify.patch import apply_hunks
from prisme_drift.classify.remediation import remediation_for, remediation_lines
from prisme_drift.models import Category
from prisme_drift.normalize import FingerprintKey, normalize
from prisme_drift.profiles import get_profile

IOS = get_profile("ios")
KEY = FingerprintKey(b"prisme-drift-duplicates-key-0123")

DUPLICATED = """Building configuration...
!
hostname sw01
!
interface GigabitEthernet1/0/1
 description Poste accueil
 switchport mode access
!
ip access-list extended MGMT
 10 permit tcp 10.99.0.0 0.0.0.255 any eq 22
!
interface GigabitEthernet1/0/2
 description CBCT
!
interface GigabitEthernet1/0/1
 switchport mode access
 switchport access vlan 10
!
ip access-list extended MGMT
 10 permit udp 10.99.0.0 0.0.0.255 any eq 161
 20 deny ip any any log
!
end
"""

# what the device holds once both blocks are applied: one section each, in first-seen order,
# the second block's lines after the first's, the line both blocks hold kept once
MERGED = """hostname sw01
interface GigabitEthernet1/0/1
 description Poste accueil
 switchport mode access
 switchport access vlan 10
ip access-list extended MGMT
 permit tcp 10.99.0.0 0.0.0.255 any eq 22
 permit udp 10.99.0.0 0.0.0.255 any eq 161
 deny ip any any log
interface GigabitEthernet1/0/2
 description CBCT
end
"""


def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not noisy, [(r.name, r.levelname, r.getMessage()) for r in noisy]


def test_duplicated_sections_normalize_to_what_the_device_holds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stored = normalize(DUPLICATED, IOS, KEY)
    assert stored == MERGED
    assert normalize(stored, IOS, KEY) == stored
    _quiet(caplog)


def test_a_baseline_with_duplicates_compares_equal_to_its_merged_form(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Baselines stored before the merge still hold both blocks: no drift, no traceback."""
    caplog.set_level(logging.DEBUG)
    old_baseline = """hostname sw01
interface GigabitEthernet1/0/1
 description Poste accueil
 switchport mode access
ip access-list extended MGMT
 permit tcp 10.99.0.0 0.0.0.255 any eq 22
interface GigabitEthernet1/0/2
 description CBCT
interface GigabitEthernet1/0/1
 switchport mode access
 switchport access vlan 10
ip access-list extended MGMT
 permit udp 10.99.0.0 0.0.0.255 any eq 161
 deny ip any any log
end
"""
    assert diff_configs(old_baseline, MERGED, IOS) == []
    assert remediation_lines(old_baseline, MERGED, IOS) == []
    _quiet(caplog)


def test_a_change_inside_the_second_block_is_its_own_drift_item(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    approved = normalize(DUPLICATED, IOS, KEY)
    observed = normalize(
        DUPLICATED.replace(" switchport access vlan 10", " switchport access vlan 40"), IOS, KEY
    )
    hunks = diff_configs(approved, observed, IOS)
    assert [(h.category, h.path, h.removed, h.added) for h in hunks] == [
        (
            Category.VLAN,
            ("interface GigabitEthernet1/0/1",),
            ("switchport access vlan 10",),
            ("switchport access vlan 40",),
        )
    ]
    lines = remediation_lines(approved, observed, IOS)
    mine = remediation_for(hunks[0], lines, IOS)
    assert mine[0] == "interface GigabitEthernet1/0/1"
    assert "  switchport access vlan 10" in mine
    assert diff_configs(apply_hunks(approved, observed, hunks, IOS), observed, IOS) == []
    _quiet(caplog)


def test_an_entry_added_to_the_repeated_acl_is_an_acl_item(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    approved = normalize(DUPLICATED, IOS, KEY)
    observed = normalize(
        DUPLICATED.replace(" 20 deny", " 15 permit icmp any any\n 20 deny"),
        IOS,
        KEY,
    )
    hunks = diff_configs(approved, observed, IOS)
    assert len(hunks) == 1 and hunks[0].category == Category.ACL
    assert "permit icmp any any" in hunks[0].added
    assert remediation_lines(approved, observed, IOS)
    _quiet(caplog)
