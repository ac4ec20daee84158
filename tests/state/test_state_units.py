"""The state engine without SSH: profile validation, merging, deepdiff changes, refresh rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from prisme_drift.devicestate import DeviceState, Facts, Neighbor, Vlan
from prisme_drift.profiles import Profile, get_profile
from prisme_drift.state.build import build_state
from prisme_drift.state.changes import same_state, state_changes
from prisme_drift.state.getters import GetterResults
from prisme_drift.state.refresh import refresh_due

SWITCH = """hostname sw01
ip name-server 10.0.0.1 10.0.0.2
vlan 10
 name STAFF
interface GigabitEthernet1/0/1
 switchport access vlan 10
 switchport mode access
interface GigabitEthernet1/0/2
 switchport mode trunk
 switchport trunk allowed vlan 10,20-22
interface Vlan10
 ip address 10.0.10.2 255.255.255.0
 ip address 10.0.11.2 255.255.255.0 secondary
snmp-server community <secret:0123456789abcdef> RW
line vty 0 4
 transport input ssh telnet
end
"""


def ios_state(config: str = SWITCH, **kwargs: Any) -> DeviceState:
    return build_state(
        device="sw01",
        profile=get_profile("ios"),
        config=config,
        facts={},
        collected_at="t",
        **kwargs,
    )


def with_extractor(extra: dict[str, Any]) -> Profile:
    data = get_profile("ios").model_dump()
    data["state"]["extractors"] = [*data["state"]["extractors"], extra]
    return Profile.model_validate(data)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"section": "vlanz", "match": ["^vlan"]}, "unknown section 'vlanz'"),
        ({"section": "vlans", "match": ["^vlan (?P<vid>\\d+)"]}, "unknown field(s) vid"),
        ({"section": "vlans", "fields": {"nam": {"line": "x"}}}, "unknown field(s) nam"),
        ({"section": "vlans", "match": ["^vlan ("]}, "invalid regular expression"),
        ({"section": "vlans", "fields": {"id": {"line": "x", "convert": "hex"}}}, "convert"),
        ({"section": "vlans", "fields": {"name": {"line": "x", "via": "^y"}}}, "{value}"),
    ],
)
def test_bad_extractor_is_refused_with_the_reason(extra: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match="state") as caught:
        with_extractor(extra)
    assert words in str(caught.value)


def test_extractors_read_ios_interfaces_vlans_addresses_and_access() -> None:
    state = ios_state()
    ports = {i.name: i for i in state.interfaces}
    assert ports["GigabitEthernet1/0/1"].access_vlan == 10
    assert ports["GigabitEthernet1/0/2"].allowed_vlans == [10, 20, 21, 22]
    assert ports["Vlan10"].addresses == ["10.0.10.2/24", "10.0.11.2/24"]
    assert state.vlans == [Vlan(id=10, name="STAFF", ports=["GigabitEthernet1/0/1"])]
    assert state.dns_servers == ["10.0.0.1", "10.0.0.2"]
    assert (
        state.snmp[0].access == "rw" and state.snmp[0].community_fp == "<secret:0123456789abcdef>"
    )
    assert {(m.protocol, m.interface) for m in state.management} == {
        ("ssh", "vty 0 4"),
        ("telnet", "vty 0 4"),
    }


def test_getter_values_win_and_a_failed_getter_is_carried_not_emptied() -> None:
    lldp = {
        "GigabitEthernet1/0/2": [
            {"remote_system_name": "fw", "remote_port": "port1", "remote_chassis_id": "aa"}
        ]
    }
    first = ios_state(getters=GetterResults(values={"get_lldp_neighbors_detail": lldp}))
    assert first.neighbors == [
        Neighbor(
            local_port="GigabitEthernet1/0/2",
            remote_name="fw",
            remote_port="port1",
            chassis_id="aa",
        )
    ]
    failed = GetterResults(errors={"get_lldp_neighbors_detail": "ValueError: boom"})
    second = ios_state(getters=failed, previous=first)
    assert second.sources["neighbors"] == "carried" and second.neighbors == first.neighbors
    assert second.errors == {"get_lldp_neighbors_detail": "ValueError: boom"}
    assert state_changes(first, second) == []
    fresh = ios_state(getters=failed)
    assert fresh.sources["neighbors"] == "unknown" and fresh.neighbors == []


def test_changes_name_vlans_ports_servers_and_restarts() -> None:
    old = ios_state().model_copy(update={"facts": Facts(serial="A", uptime_s=1000)})
    config = SWITCH.replace("name STAFF", "name PERSONNEL").replace(
        "ip name-server 10.0.0.1 10.0.0.2", "ip name-server 10.0.0.1 10.0.0.3"
    )
    config = config.replace(" switchport access vlan 10\n", " switchport access vlan 30\n")
    new = ios_state(config).model_copy(update={"facts": Facts(serial="B", uptime_s=60)})
    found = {(c.message, c.path, repr(c.before), repr(c.after)) for c in state_changes(old, new)}
    assert ("state.vlans.name.changed", "vlans[10].name", "'STAFF'", "'PERSONNEL'") in found
    assert (
        "state.interfaces.access_vlan.changed",
        "interfaces[GigabitEthernet1/0/1].access_vlan",
        "10",
        "30",
    ) in found
    assert ("state.dns_servers.removed", "dns_servers[10.0.0.2]", "'10.0.0.2'", "None") in found
    assert ("state.dns_servers.added", "dns_servers[10.0.0.3]", "None", "'10.0.0.3'") in found
    assert ("state.facts.serial.changed", "facts.serial", "'A'", "'B'") in found
    assert ("state.facts.uptime_s.changed", "facts.uptime_s", "1000", "60") in found


def test_only_volatile_differences_are_the_same_state() -> None:
    old = ios_state().model_copy(update={"facts": Facts(uptime_s=10)})
    later = old.model_copy(update={"collected_at": "later", "facts": Facts(uptime_s=99999)})
    assert same_state(old, later) and state_changes(old, later) == []
    assert not same_state(old, ios_state(SWITCH.replace("STAFF", "X")))


def test_state_is_due_when_changed_new_or_a_day_old() -> None:
    """The rule shared by the structured state and the configuration poll's facts."""
    now = datetime(2026, 1, 2, tzinfo=UTC)
    recent = (now - timedelta(hours=23)).isoformat()
    old = (now - timedelta(hours=25)).isoformat()
    assert not refresh_due(False, True, recent, now)
    assert refresh_due(True, True, recent, now)  # configuration or facts changed
    assert refresh_due(False, False, recent, now)  # no state on file
    assert refresh_due(False, True, old, now)  # a day old
    assert refresh_due(False, True, None, now)  # never refreshed
    assert refresh_due(False, True, "not a time", now)


def test_a_reference_is_followed_to_the_profile_it_names() -> None:
    config = "\n".join(
        [
            "/interface wifi security add authentication-types=wpa2-psk name=sec-guest "
            "passphrase=<secret:aaaaaaaaaaaaaaaa>",
            "/interface wifi security add authentication-types=wpa2-psk,wpa3-psk name=sec "
            "passphrase=<secret:bbbbbbbbbbbbbbbb>",
            "/interface wifi configuration add name=cfg security=sec ssid=STAFF",
            "/interface wifi configuration add name=cfg2 security=nowhere ssid=ODD",
        ]
    )
    state = build_state(
        device="rt",
        profile=get_profile("mikrotik_routeros"),
        config=config,
        facts={},
        collected_at="t",
    )
    assert {s.name: (s.security, s.passphrase_fp) for s in state.ssids} == {
        "STAFF": ("wpa3-sae", "<secret:bbbbbbbbbbbbbbbb>"),
        "ODD": (None, None),  # a profile that does not exist: unknown, not open
    }
