"""A hand-made clinic of known topology, as DeviceState values (no SSH, no store).

rt-wan (MikroTik) -- fw-cabinet (FortiGate) -- sw-accueil (IOS) -- sw-imagerie (IOS, restricted)
ap-salle (an access point without neighbour data, open SSID) is standalone.

Planted, one each: Telnet on sw-accueil, HTTP on ap-salle, default SNMP community on
sw-imagerie, an any-any rule without log on fw-cabinet, a port forward (VNC), HTTPS admin from
the WAN on fw-cabinet, VLAN 40 trunked to sw-accueil which does not define it, VLAN 20 named
differently on the two switches, an access port in VLAN 77 (defined nowhere), two overlapping
subnets (10.10.0.0/16 on rt-wan and 10.10.20.0/24 on sw-imagerie), an open SSID without VLAN,
ap-salle not polled for two days, a restricted device without mandate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prisme_drift.devicestate import (
    DeviceState,
    DhcpPool,
    Facts,
    Interface,
    MgmtAccess,
    Neighbor,
    Policy,
    PortForward,
    Route,
    Snmp,
    Ssid,
    User,
    Vlan,
)
from prisme_drift.report.audit_model import AuditInput, DeviceInfo

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SERIALS = {
    "rt-wan": "HGB09KQ7Z1",
    "fw-cabinet": "FGT60F-TEST-0042",
    "sw-accueil": "FOC2231X0AB",
    "sw-imagerie": "FOC2231X0CD",
    "ap-salle": "UAP-77A1B2",
}
VLAN_IDS = [10, 20, 30, 40, 77, 99]
PUBLIC_FP = "<secret:public-fp>"


def fingerprint(value: str) -> str:
    """Stand-in for the site's HMAC marker: deterministic and distinct per value."""
    return f"<secret:{value}-fp>"


def _facts(name: str, vendor: str, model: str, os: str) -> Facts:
    return Facts(
        vendor=vendor,
        model=model,
        serial=SERIALS[name],
        os_version=os,
        uptime_s=86400 * 12,
        hostname=name,
    )


def _state(name: str, platform: str, facts: Facts, **sections: object) -> DeviceState:
    return DeviceState(
        device=name, platform=platform, collected_at=NOW.isoformat(), facts=facts, **sections
    )


def states() -> dict[str, DeviceState]:
    """The five devices' states."""
    return {
        "rt-wan": _state(
            "rt-wan",
            "mikrotik_routeros",
            _facts("rt-wan", "MikroTik", "RB4011", "7.14"),
            interfaces=[
                Interface(name="ether1", addresses=["203.0.113.2/29"]),
                Interface(name="ether2", addresses=["10.10.0.1/16"]),
            ],
            neighbors=[Neighbor(local_port="ether2", remote_name="fw-cabinet", remote_port="wan1")],
            routes=[Route(prefix="0.0.0.0/0", next_hop="203.0.113.1")],
            management=[MgmtAccess(protocol="ssh", enabled=True)],
            users=[User(name="admin", privilege="full")],
        ),
        "fw-cabinet": _state(
            "fw-cabinet",
            "fortinet",
            _facts("fw-cabinet", "Fortinet", "FortiGate-60F", "7.2.8"),
            interfaces=[
                Interface(name="wan1", addresses=["10.10.0.2/16"]),
                Interface(name="internal", addresses=["192.168.10.1/24"]),
            ],
            neighbors=[
                Neighbor(local_port="wan1", remote_name="rt-wan", remote_port="ether2"),
                Neighbor(local_port="internal", remote_name="sw-accueil", remote_port="Gi1/0/48"),
            ],
            dhcp_pools=[
                DhcpPool(
                    name="1",
                    network="192.168.10.0/24",
                    gateway="192.168.10.1",
                    dns_servers=["192.168.10.1"],
                    range_start="192.168.10.100",
                    range_end="192.168.10.200",
                ),
            ],
            ntp_servers=["pool.ntp.org"],
            management=[
                MgmtAccess(protocol="https", enabled=True, interface="wan1"),
                MgmtAccess(protocol="ssh", enabled=True, interface="internal"),
            ],
            users=[User(name="admin")],
            firewall_policies=[
                Policy(
                    id="1",
                    name="lan-out",
                    src_intf=["internal"],
                    dst_intf=["wan1"],
                    src=["lan"],
                    dst=["all"],
                    service=["HTTPS"],
                    action="accept",
                    log=True,
                ),
                Policy(
                    id="2",
                    name="tout",
                    src_intf=["internal"],
                    dst_intf=["wan1"],
                    src=["all"],
                    dst=["all"],
                    service=["ALL"],
                    action="accept",
                    log=False,
                ),
            ],
            port_forwards=[
                PortForward(
                    id="vnc-poste-cfao",
                    name="vnc-poste-cfao",
                    wan_interface="wan1",
                    external_port="5900",
                    internal_ip="192.168.10.30",
                    internal_port="5900",
                    protocol="tcp",
                ),
            ],
        ),
        "sw-accueil": _state(
            "sw-accueil",
            "ios",
            _facts("sw-accueil", "Cisco", "C9200L-24P", "17.9.4"),
            interfaces=[
                Interface(name="Vlan10", addresses=["192.168.10.2/24"]),
                Interface(name="Gi1/0/1", mode="access", access_vlan=10),
                Interface(name="Gi1/0/2", mode="access", access_vlan=77),
                Interface(name="Gi1/0/47", mode="trunk", allowed_vlans=[10, 20]),
                Interface(name="Gi1/0/48", mode="trunk", allowed_vlans=[10]),
            ],
            vlans=[Vlan(id=10, name="SOINS"), Vlan(id=20, name="IMAGERIE")],
            neighbors=[
                Neighbor(local_port="Gi1/0/48", remote_name="fw-cabinet", remote_port="internal"),
                Neighbor(
                    local_port="Gi1/0/47",
                    remote_name="sw-imagerie.clinic.local",
                    remote_port="Gi1/0/24",
                    protocol="cdp",
                ),
                Neighbor(local_port="Gi1/0/5", remote_name="SEP001122334455", remote_port="Port 1"),
            ],
            management=[
                MgmtAccess(protocol="telnet", enabled=True, interface="vty 0 4"),
                MgmtAccess(protocol="ssh", enabled=True, interface="vty 0 4"),
            ],
            users=[User(name="admin", privilege="15")],
        ),
        "sw-imagerie": _state(
            "sw-imagerie",
            "ios",
            _facts("sw-imagerie", "Cisco", "C9200L-24P", "17.9.4"),
            interfaces=[
                Interface(name="Vlan20", addresses=["10.10.20.2/24"]),
                Interface(name="Gi1/0/3", mode="access", access_vlan=40),
                Interface(name="Gi1/0/24", mode="trunk", allowed_vlans=[10, 20, 40, 99]),
            ],
            vlans=[
                Vlan(id=10, name="SOINS"),
                Vlan(id=20, name="RADIO"),
                Vlan(id=40, name="CFAO-TEMP"),
                Vlan(id=99, name="ADMIN"),
            ],
            neighbors=[
                Neighbor(local_port="Gi1/0/24", remote_name="sw-accueil", remote_port="Gi1/0/47")
            ],
            snmp=[Snmp(version="v2c", community_fp=fingerprint("public"), access="ro")],
            management=[MgmtAccess(protocol="ssh", enabled=True)],
        ),
        "ap-salle": _state(
            "ap-salle",
            "ubiquiti_edgeswitch",
            _facts("ap-salle", "Ubiquiti", "U6-Lite", "6.6"),
            management=[MgmtAccess(protocol="http", enabled=True)],
            ssids=[
                Ssid(name="Cabinet-Invites", security="open"),
                Ssid(name="Cabinet-Soins", security="wpa2-enterprise", vlan=10),
            ],
        ),
    }


CONFIGS = {
    "sw-accueil": "hostname sw-accueil\n!\ninterface GigabitEthernet1/0/1\nline vty 0 4\n"
    " transport input ssh telnet\nend\n",
    "sw-imagerie": "hostname sw-imagerie\nvlan 40\n name CFAO-TEMP\n"
    "snmp-server community <secret:public-fp> RO\nip ssh version 2\nend\n",
    "fw-cabinet": "config firewall policy\n    edit 1\n    next\n    edit 2\n"
    '        set srcaddr "all"\n    next\nend\nconfig firewall vip\n'
    '    edit "vnc-poste-cfao"\n        set extport 5900\n    next\nend\n',
}


def devices() -> tuple[DeviceInfo, ...]:
    """The inventory: ap-salle last polled two days ago, sw-imagerie restricted."""
    recent = NOW - timedelta(minutes=15)
    rows = [
        ("rt-wan", "mikrotik_routeros", "router", None, recent),
        ("fw-cabinet", "fortinet", "firewall", None, recent),
        ("sw-accueil", "ios", "access", None, recent),
        ("sw-imagerie", "ios", "access", "Dentsply Sirona", recent),
        ("ap-salle", "ubiquiti_edgeswitch", "ap", None, NOW - timedelta(days=2)),
    ]
    return tuple(
        DeviceInfo(
            name=n,
            platform=p,
            address=f"192.168.99.{i + 1}",
            role=r,
            restricted=m,
            last_success_at=t,
            last_status="ok",
        )
        for i, (n, p, r, m, t) in enumerate(rows)
    )


def clinic() -> AuditInput:
    """The whole input."""
    return AuditInput(
        site="cabinet-test",
        client="Cabinet dentaire du Test",
        generated_at=NOW,
        devices=devices(),
        states=states(),
        configs=CONFIGS,
        fingerprint=fingerprint,
    )
