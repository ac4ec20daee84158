"""Site-level facts derived from every device's state: VLANs, addressing, firewall, access.

Pure functions over ``{device: DeviceState}``. They compute objective facts (a VLAN trunked to a
switch that does not define it, two subnets that overlap, a policy whose source is "all"); the
audit rules (data) decide which of them are findings and how severe.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prisme_drift.devicestate import DeviceState, Interface
from prisme_drift.report.topology import short_port

States = Mapping[str, DeviceState]
ANY = frozenset({"all", "any", "0.0.0.0/0", "0.0.0.0 0.0.0.0", "::/0"})
ANY_SERVICE = frozenset({"all", "any", "ip"})
WAN_NAME = re.compile(r"(?i)^(wan\d*|outside|internet|untrust|ppp\w*|dialer\d*|pppoe[\w-]*)$")
SVI_NAME = re.compile(r"(?i)^vlan[\s.-]?(\d{1,4})$")


# -- port names ----------------------------------------------------------------------------------
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def port_ranges(ports: Iterable[str]) -> str:
    """``Gi1/0/3, Gi1/0/4, Gi1/0/5, Gi1/0/8`` -> ``Gi1/0/3-5, Gi1/0/8``."""
    groups: list[tuple[str, int, int]] = []
    others: list[str] = []
    for port in ports:
        match = _TRAILING_NUMBER.match(port)
        if not match:
            others.append(port)
            continue
        prefix, number = match.group(1), int(match.group(2))
        if groups and groups[-1][0] == prefix and groups[-1][2] == number - 1:
            groups[-1] = (prefix, groups[-1][1], number)
        else:
            groups.append((prefix, number, number))
    parts = [f"{p}{a}" if a == b else f"{p}{a}-{b}" for p, a, b in groups]
    return ", ".join(parts + others)


def by_device(entries: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """(device, port) pairs -> ``sw1, sw2: Gi1/0/1-4, Gi1/0/8``: one line per distinct set of
    ports, so twenty access switches patched alike take one line, not twenty."""
    ports: dict[str, list[str]] = {}
    for device, port in entries:
        ports.setdefault(device, []).append(short_port(port))
    alike: dict[str, list[str]] = {}
    for device, names in ports.items():
        alike.setdefault(port_ranges(names), []).append(device)
    return tuple(f"{', '.join(devices)}: {text}" for text, devices in alike.items())


# -- VLANs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VlanRow:
    """One VLAN across the site."""

    id: int
    names: tuple[str, ...]
    defined_on: tuple[str, ...]
    access_ports: tuple[str, ...]  # one "device: ports" text per device
    trunks: tuple[str, ...]
    switch_names: tuple[str, ...] = ()  # names given by switches (devices with switch ports)


def _carries(interface: Interface, vlan: int, defined: set[int]) -> bool:
    if interface.mode != "trunk":
        return False
    allowed = interface.allowed_vlans
    return vlan in (set(allowed) if allowed is not None else defined)


def is_switch(state: DeviceState) -> bool:
    """A device with switch ports (access or trunk): VLAN names there are the site's names."""
    return any(i.mode in ("access", "trunk") for i in state.interfaces)


def vlan_rows(states: States) -> list[VlanRow]:
    """Every VLAN defined, used on an access port or carried on an explicit trunk list."""
    ids: set[int] = set()
    for state in states.values():
        ids |= {v.id for v in state.vlans}
        ids |= {i.access_vlan for i in state.interfaces if i.mode == "access" and i.access_vlan}
        ids |= {v for i in state.interfaces if i.mode == "trunk" for v in i.allowed_vlans or []}
    rows = []
    for vid in sorted(ids):
        names, switch_names, defined = set(), set(), []
        access: list[tuple[str, str]] = []
        trunks: list[tuple[str, str]] = []
        for device, state in sorted(states.items()):
            local = {v.id for v in state.vlans}
            for vlan in state.vlans:
                if vlan.id == vid:
                    defined.append(device)
                    names |= {vlan.name} if vlan.name else set()
                    switch_names |= {vlan.name} if vlan.name and is_switch(state) else set()
            access += [
                (device, i.name)
                for i in state.interfaces
                if i.mode == "access" and i.access_vlan == vid
            ]
            trunks += [(device, i.name) for i in state.interfaces if _carries(i, vid, local)]
        rows.append(
            VlanRow(
                vid,
                tuple(sorted(names)),
                tuple(defined),
                by_device(access),
                by_device(trunks),
                tuple(sorted(switch_names)),
            )
        )
    return rows


def resolver(states: States, names: Iterable[str] = ()) -> Callable[[str], str]:
    """Map a neighbour's advertised name (``sw1.clinic.local``, a hostname) to a device name."""
    known = {n.lower(): n for n in [*names, *states]}
    for device, state in states.items():
        if state.facts.hostname:
            known.setdefault(state.facts.hostname.lower(), device)

    def resolve(remote: str) -> str:
        key = remote.strip().lower()
        return known.get(key) or known.get(key.split(".", 1)[0]) or remote.strip()

    return resolve


def _far_side(states: States, device: str, port: str) -> str | None:
    resolve = resolver(states)
    for neighbor in states[device].neighbors:
        if neighbor.local_port == port and neighbor.remote_name:
            name = resolve(neighbor.remote_name)
            if name in states:
                return name
    return None


def vlan_issues(states: States) -> list[dict[str, Any]]:
    """Inconsistencies: ``trunk_not_defined_far_side``, ``name_mismatch``,
    ``access_vlan_undefined`` (one item each, with the device that shows it)."""
    issues: list[dict[str, Any]] = []
    defined_anywhere = {v.id for s in states.values() for v in s.vlans}
    for device, state in sorted(states.items()):
        for intf in state.interfaces:
            if (
                intf.mode == "access"
                and intf.access_vlan
                and intf.access_vlan not in defined_anywhere
            ):
                issues.append(_issue("access_vlan_undefined", device, intf.access_vlan, intf.name))
            if intf.mode != "trunk" or intf.allowed_vlans is None:
                continue
            far = _far_side(states, device, intf.name)
            if far is None or not states[far].vlans:
                continue
            far_vlans = {v.id for v in states[far].vlans}
            for vid in sorted(set(intf.allowed_vlans) - far_vlans):
                issues.append(_issue("trunk_not_defined_far_side", device, vid, intf.name, far=far))
    for row in vlan_rows(states):
        if len(row.switch_names) > 1:
            first = next(d for d in row.defined_on if is_switch(states[d]))
            issues.append(_issue("name_mismatch", first, row.id, "", names=row.switch_names))
    return issues


def _issue(kind: str, device: str, vlan: int, port: str, **extra: Any) -> dict[str, Any]:
    names = extra.pop("names", ())
    return {
        "kind": kind,
        "device": device,
        "vlan": vlan,
        "port": port,
        "far": "",
        "names": " / ".join(names),
        **extra,
    }


# -- addressing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubnetRow:
    """An interface address and the subnet it sits in."""

    network: str
    vlan: int | None
    device: str
    interface: str
    address: str


def _vlan_of(state: DeviceState, interface: Interface) -> int | None:
    match = SVI_NAME.match(interface.name)
    if match:
        return int(match.group(1))
    if interface.mode == "access":
        return interface.access_vlan
    return next((v.id for v in state.vlans if interface.name in v.ports), None)


def subnet_rows(states: States) -> list[SubnetRow]:
    """Every interface address (host routes aside), sorted by network."""
    rows = []
    for device, state in sorted(states.items()):
        for intf in state.interfaces:
            for address in intf.addresses:
                iface = _interface(address)
                if iface is None or iface.network.prefixlen == iface.max_prefixlen:
                    continue
                rows.append(
                    SubnetRow(
                        str(iface.network), _vlan_of(state, intf), device, intf.name, str(iface.ip)
                    )
                )
    return sorted(rows, key=lambda r: (_sort_key(r.network), r.device, r.interface))


def _interface(text: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _sort_key(network: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(network, strict=False)
    return (net.version, int(net.network_address), net.prefixlen)


def subnet_overlaps(states: States) -> list[dict[str, Any]]:
    """Pairs of different subnets (interfaces or DHCP scopes) that share addresses."""
    where: dict[str, set[str]] = {}
    for row in subnet_rows(states):
        where.setdefault(row.network, set()).add(f"{row.device} {row.interface}")
    for device, state in states.items():
        for pool in state.dhcp_pools:
            if pool.network and _interface(pool.network):
                net = str(ipaddress.ip_network(pool.network, strict=False))
                where.setdefault(net, set()).add(f"{device} DHCP {pool.name}")
    nets = sorted(where, key=_sort_key)
    found = []
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            na, nb = ipaddress.ip_network(a), ipaddress.ip_network(b)
            if na.version == nb.version and na.overlaps(nb):
                device = sorted(where[a])[0].split(" ", 1)[0]
                found.append(
                    {
                        "kind": "overlap",
                        "device": device,
                        "a": a,
                        "b": b,
                        "a_on": ", ".join(sorted(where[a])),
                        "b_on": ", ".join(sorted(where[b])),
                    }
                )
    return found


def default_gateways(states: States) -> list[tuple[str, str]]:
    """(device, next hop or interface) of every default route."""
    return [
        (device, r.next_hop or r.interface or "")
        for device, state in sorted(states.items())
        for r in state.routes
        if r.prefix in ("0.0.0.0/0", "::/0")
    ]


# -- firewall and management -----------------------------------------------------------------------
def wan_interfaces(state: DeviceState) -> set[str]:
    """Interfaces facing the Internet: by name, or used by a port forward."""
    names = {i.name for i in state.interfaces if WAN_NAME.match(i.name)}
    return names | {pf.wan_interface for pf in state.port_forwards if pf.wan_interface}


def _is_any(values: Iterable[str], words: frozenset[str] = ANY) -> bool:
    return any(v.strip('"').lower() in words for v in values)


def policy_items(device: str, state: DeviceState) -> list[dict[str, Any]]:
    """Firewall policies with objective flags for the rules: ``any_src``, ``any_dst``,
    ``any_service``, ``accept``, ``from_wan``."""
    wan = wan_interfaces(state)
    items = []
    for policy in state.firewall_policies:
        item = policy.model_dump()
        item.update(
            device=device,
            platform=state.platform,
            any_src=_is_any(policy.src),
            any_dst=_is_any(policy.dst),
            any_service=_is_any(policy.service, ANY_SERVICE),
            accept=(policy.action or "").lower() in ("accept", "allow", "permit"),
            from_wan=bool(set(policy.src_intf) & wan),
        )
        items.append(item)
    return items


def management_items(device: str, state: DeviceState) -> list[dict[str, Any]]:
    """Management access entries with ``from_wan`` (enabled on an Internet-facing interface)."""
    wan = wan_interfaces(state)
    return [
        {
            **m.model_dump(),
            "device": device,
            "platform": state.platform,
            "from_wan": m.interface in wan,
        }
        for m in state.management
    ]
