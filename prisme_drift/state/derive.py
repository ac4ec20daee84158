"""From raw records to validated sections: merge, derive, validate, order.

Generic rules only: records of the same object merge (an interface's addresses from one
statement, its VLAN from another), VLAN access ports and DHCP networks are derived from the
interfaces, and every list comes out in a canonical order so that unchanged devices give
byte-identical state files.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from prisme_drift.devicestate import (
    ITEM_KEYS,
    ITEM_MODELS,
    STRING_SECTIONS,
    DhcpPool,
    Interface,
    Vlan,
)

log = logging.getLogger(__name__)

Record = dict[str, Any]

#: Fields that identify one object of a section: records with the same key are one object.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "interfaces": ("name",),
    "vlans": ("id",),
    "dhcp_pools": ("name",),
    "management": ("protocol", "interface"),
    "users": ("name",),
    "firewall_policies": ("id",),
    "port_forwards": ("id",),
    "ssids": ("name",),
}
#: Sections whose order is meaningful on the device (first match wins): kept as found.
ORDERED = ("firewall_policies",)


def natural_key(text: str) -> list[Any]:
    """``Gi1/0/10`` after ``Gi1/0/9``."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def merge_records(records: list[Record], key: tuple[str, ...]) -> list[Record]:
    """Records sharing ``key`` become one; later values win unless empty; order of first seen."""
    merged: dict[tuple[Any, ...], Record] = {}
    loose: list[Record] = []
    for record in records:
        ident = tuple(record.get(k) for k in key)
        if key[0] not in record or record.get(key[0]) is None:
            loose.append(record)
            continue
        into = merged.setdefault(ident, {})
        for name, value in record.items():
            if value is None or value == []:
                into.setdefault(name, value)
            else:
                into[name] = value
    return list(merged.values()) + loose


def _validated(section: str, records: list[Record], device: str) -> list[BaseModel]:
    model = ITEM_MODELS[section]
    out: list[BaseModel] = []
    for record in records:
        try:
            out.append(model.model_validate(record))
        except ValidationError as exc:
            log.debug("%s: %s record dropped (%s): %s", device, section, exc.error_count(), record)
    return out


def _strings(records: list[Record]) -> list[str]:
    seen: list[str] = []
    for record in records:
        value = record.get("value")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item and item not in seen:
                seen.append(item)
    return seen


def _sort_key(section: str) -> Callable[[BaseModel], Any]:
    def key(item: BaseModel) -> Any:
        data = item.model_dump()
        named = [natural_key(str(data.get(k) or "")) for k in ITEM_KEYS.get(section, ())]
        return [*named, natural_key(repr(sorted(data.items(), key=lambda kv: kv[0])))]

    return key


def build_sections(raw: dict[str, list[Record]], device: str) -> dict[str, Any]:
    """Validated, merged and ordered sections (``facts`` as one dict of known values)."""
    sections: dict[str, Any] = {}
    for section, records in raw.items():
        if section in STRING_SECTIONS:
            sections[section] = _strings(records)
            continue
        if section == "facts":
            facts: Record = {}
            for record in records:
                facts.update({k: v for k, v in record.items() if v is not None})
            sections[section] = facts
            continue
        key = MERGE_KEYS.get(section)
        merged = merge_records(records, key) if key else records
        items = _validated(section, merged, device)
        if section not in ORDERED:
            items = sorted(items, key=_sort_key(section))
        sections[section] = items
    _derive(sections)
    return sections


# -- derivations --------------------------------------------------------------------------------
def _derive(sections: dict[str, Any]) -> None:
    interfaces: list[Interface] = sections.get("interfaces", [])
    if "vlans" in sections and interfaces:
        sections["vlans"] = [_vlan_ports(v, interfaces) for v in sections["vlans"]]
    if sections.get("dhcp_pools"):
        sections["dhcp_pools"] = _dhcp_networks(sections["dhcp_pools"], interfaces)


def _vlan_ports(vlan: Vlan, interfaces: list[Interface]) -> Vlan:
    """A VLAN without a port list gets its access ports (``show vlan`` lists those)."""
    if vlan.ports:
        return vlan
    ports = [
        i.name
        for i in interfaces
        if i.access_vlan == vlan.id and i.mode in (None, "access") and not i.addresses
    ]
    return vlan.model_copy(update={"ports": ports}) if ports else vlan


def _interface_net(
    interfaces: list[Interface], name: str | None
) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    itf = next((i for i in interfaces if i.name == name and i.addresses), None)
    return ipaddress.ip_interface(itf.addresses[0]) if itf else None


def _dhcp_networks(pools: list[DhcpPool], interfaces: list[Interface]) -> list[DhcpPool]:
    """Network (and gateway) from the served interface; pools of one network become one."""
    filled: list[DhcpPool] = []
    for pool in pools:
        net = _interface_net(interfaces, pool.interface)
        update: dict[str, Any] = {}
        if net is not None and pool.network is None:
            update["network"] = str(net.network)
        if net is not None and pool.gateway is None:
            update["gateway"] = str(net.ip)
        filled.append(pool.model_copy(update=update) if update else pool)
    by_network: dict[str, Record] = {}
    alone: list[DhcpPool] = []
    # a pool that names its interface is the scope itself; others (network options) join it
    for pool in sorted(filled, key=lambda p: p.interface is None):
        if pool.network is None:
            alone.append(pool)
            continue
        into = by_network.setdefault(pool.network, {})
        for name, value in pool.model_dump().items():
            if value not in (None, []) and (name != "name" or "name" not in into):
                into.setdefault(name, value)
            elif name not in into:
                into[name] = value
    merged = [DhcpPool.model_validate(r) for r in by_network.values()] + alone
    return sorted(merged, key=lambda p: natural_key(p.name))
