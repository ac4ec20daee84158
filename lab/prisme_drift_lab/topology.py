"""Cables between lab devices, so that LLDP/CDP answers agree on both ends, and the demo site.

The demo site is a small clinic: two access switches uplinked to each other and to the
FortiGate, the MikroTik as the WAN router in front of the FortiGate. Its setup lines leave the
findings an audit must raise: Telnet still allowed on a switch, an any-to-any rule without
logging on the firewall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prisme_drift_lab.device import LabDevice, LinkEnd


@dataclass(frozen=True)
class Link:
    """One cable: ``a``'s port ``a_port`` to ``b``'s port ``b_port``."""

    a: str
    a_port: str
    b: str
    b_port: str


def _end(device: LabDevice, port: str) -> LinkEnd:
    return LinkEnd(device.name, port, device.chassis_id, device.platform, peer=device)


def connect(devices: Mapping[str, LabDevice], links: Sequence[Link]) -> None:
    """Plug the cables: each device learns the far end of each of its linked ports."""
    for link in links:
        a, b = devices[link.a], devices[link.b]
        a.links[link.a_port] = _end(b, link.b_port)
        b.links[link.b_port] = _end(a, link.a_port)


def unplug(devices: Mapping[str, LabDevice], device: str, port: str) -> None:
    """Pull the cable out of ``device``'s ``port`` (both ends forget it)."""
    far = devices[device].links.pop(port, None)
    if far is not None:
        devices[far.device].links.pop(far.port, None)


#: The demo clinic: name -> platform.
DEMO_DEVICES = {
    "sw-accueil": "ios",
    "sw-imagerie": "ios",
    "fw-cabinet": "fortinet",
    "rt-wan": "mikrotik_routeros",
}
#: What the demo says it starts.
DEMO_SUMMARY = "2 simulated Cisco switches, a FortiGate-like firewall and a MikroTik WAN router"
#: Platform -> (group, ``data.role``) in the demo's hosts.yaml, as in the example inventory
#: (inventory/hosts.yaml); any other platform is an access switch.
INVENTORY_PLACES: dict[str, tuple[str, str]] = {
    "ios": ("switches", "access"),
    "fortinet": ("firewalls", "edge"),
    "mikrotik_routeros": ("routers", "edge"),
}
DEFAULT_PLACE = ("switches", "access")
#: Platform -> the Netmiko device type a technician's script uses to reach a demo device.
TECHNICIAN_CLIENTS = {"ios": "cisco_ios", "fortinet": "fortinet"}
#: Netmiko device types that take configuration lines flat: no indentation and no closing
#: ``end`` (Netmiko leaves configuration mode itself).
FLAT_CONFIG_CLIENTS = frozenset({"cisco_ios"})
#: The unauthorized changes of the demo: a VLAN on a switch, a port forward on the firewall.
DEMO_CHANGES: dict[str, list[str]] = {
    "sw-imagerie": [
        "vlan 40",
        " name CFAO-TEMP",
        "exit",
        "interface GigabitEthernet1/0/3",
        " switchport access vlan 40",
        "end",
    ],
    "fw-cabinet": [
        "config firewall vip",
        'edit "vnc-poste-cfao"',
        'set extintf "wan1"',
        "set portforward enable",
        'set mappedip "192.168.10.30"',
        "set extport 5900",
        "set mappedport 5900",
        "next",
        "end",
    ],
}
DEMO_LINKS = (
    Link("sw-imagerie", "GigabitEthernet1/0/25", "sw-accueil", "GigabitEthernet1/0/24"),
    Link("sw-accueil", "GigabitEthernet1/0/25", "fw-cabinet", "internal"),
    Link("fw-cabinet", "wan1", "rt-wan", "ether2"),
)
#: Configuration the demo devices start with, on top of their platform's default.
DEMO_SETUP: dict[str, list[str]] = {
    "sw-accueil": [
        "interface GigabitEthernet1/0/24",
        "description Liaison sw-imagerie",
        "switchport trunk allowed vlan 10,20,30,99",
        "switchport mode trunk",
        "exit",
        "interface GigabitEthernet1/0/25",
        "description Uplink pare-feu fw-cabinet",
        "exit",
        "line vty 0 4",
        "transport input ssh telnet",
        "exit",
    ],
    "sw-imagerie": [
        "interface GigabitEthernet1/0/25",
        "description Uplink sw-accueil",
        "exit",
    ],
    "fw-cabinet": [
        "config firewall policy",
        "edit 4",
        'set name "TEMP-TOUT-OUVERT"',
        'set srcintf "internal"',
        'set dstintf "wan1"',
        "set action accept",
        'set srcaddr "all"',
        'set dstaddr "all"',
        'set schedule "always"',
        'set service "ALL"',
        "set logtraffic disable",
        "next",
        "end",
    ],
}


def demo_devices(username: str, password: str) -> list[LabDevice]:
    """The demo clinic's devices, configured and cabled (ports are bound by the Lab)."""
    devices = {
        name: LabDevice(name=name, platform=platform, username=username, password=password)
        for name, platform in DEMO_DEVICES.items()
    }
    for name, lines in DEMO_SETUP.items():
        devices[name].configure(lines)
    connect(devices, DEMO_LINKS)
    return list(devices.values())
