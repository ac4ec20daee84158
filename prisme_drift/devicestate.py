"""The structured state of one device: frozen values, canonical JSON, ``None`` = unknown.

At the bottom of the layers (beside ``models``): profiles validate their extractors against it,
the ``state`` stage builds it, reports read it.

A section a source could not give stays ``None`` (or its ``sources`` entry says ``unknown`` /
``carried``): readers must never take a missing value for a removed one.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["access", "trunk", "routed"]
Protocol = Literal["lldp", "cdp"]
MgmtProtocol = Literal["ssh", "telnet", "http", "https", "snmp"]
SnmpAccess = Literal["ro", "rw"]


class _Value(BaseModel):
    # the schema is built at the first validation, not at import (profiles import this module)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Facts(_Value):
    """Identity of the box (``None`` where no source could tell)."""

    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    os_version: str | None = None
    uptime_s: int | None = None
    hostname: str | None = None


class Interface(_Value):
    """One port or logical interface; addresses are CIDR strings (``10.0.0.1/24``)."""

    name: str
    description: str | None = None
    enabled: bool | None = None
    speed_mbps: int | None = None
    duplex: str | None = None
    mode: Mode | None = None
    access_vlan: int | None = None
    allowed_vlans: list[int] | None = None
    addresses: list[str] = []
    vrf: str | None = None


class Vlan(_Value):
    """A VLAN defined on the device and the ports that carry it (access or trunk)."""

    id: int
    name: str | None = None
    ports: list[str] = []


class Neighbor(_Value):
    """One LLDP or CDP adjacency seen on a local port."""

    local_port: str
    remote_name: str | None = None
    remote_port: str | None = None
    chassis_id: str | None = None
    protocol: Protocol = "lldp"


class Route(_Value):
    """A static route."""

    prefix: str
    next_hop: str | None = None
    interface: str | None = None


class DhcpPool(_Value):
    """A DHCP scope served by the device."""

    name: str
    network: str | None = None
    gateway: str | None = None
    dns_servers: list[str] = []
    range_start: str | None = None
    range_end: str | None = None
    interface: str | None = None


class Snmp(_Value):
    """One SNMP community or user; the community itself is only a fingerprint."""

    version: str | None = None
    community_fp: str | None = None
    access: SnmpAccess | None = None
    allowed_from: str | None = None


class MgmtAccess(_Value):
    """An administrative protocol, where it is enabled and from which sources."""

    protocol: MgmtProtocol
    enabled: bool
    interface: str | None = None
    allowed_from: list[str] = []


class User(_Value):
    """A local account (never its password)."""

    name: str
    privilege: str | None = None


class Policy(_Value):
    """One firewall rule; ``src``/``dst``/``service`` are lists of object names or addresses."""

    id: str
    name: str | None = None
    src_intf: list[str] = []
    dst_intf: list[str] = []
    src: list[str] = []
    dst: list[str] = []
    service: list[str] = []
    action: str | None = None
    log: bool | None = None
    enabled: bool = True


class PortForward(_Value):
    """A destination NAT / VIP / port forward from the WAN to an inside host."""

    id: str
    name: str | None = None
    wan_interface: str | None = None
    external_ip: str | None = None
    external_port: str | None = None
    internal_ip: str | None = None
    internal_port: str | None = None
    protocol: str | None = None


class Ssid(_Value):
    """A Wi-Fi network: ``security`` is open, wpa2-psk, wpa3-sae, wpa2-enterprise, ..."""

    name: str
    security: str | None = None
    vlan: int | None = None
    passphrase_fp: str | None = None


class DeviceState(_Value):
    """Everything prisme-drift knows structurally about one device at one time.

    ``sources`` maps a section name (facts, interfaces, vlans, neighbors, routes, ...) to
    ``getter:<name>``, ``config``, ``carried`` (kept from the previous state because the source
    failed this time) or ``unknown``. ``errors`` maps a getter name to a short scrubbed error.
    """

    device: str
    platform: str
    collected_at: str
    facts: Facts = Field(default_factory=Facts)  # made at validation, not at import
    interfaces: list[Interface] = []
    vlans: list[Vlan] = []
    neighbors: list[Neighbor] = []
    routes: list[Route] = []
    dhcp_pools: list[DhcpPool] = []
    dns_servers: list[str] = []
    ntp_servers: list[str] = []
    snmp: list[Snmp] = []
    management: list[MgmtAccess] = []
    users: list[User] = []
    firewall_policies: list[Policy] = []
    port_forwards: list[PortForward] = []
    ssids: list[Ssid] = []
    sources: dict[str, str] = {}
    errors: dict[str, str] = {}

    def canonical(self) -> dict[str, Any]:
        """The JSON-ready value (what ``<device>.state.json`` holds)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline (stable git diffs)."""
        return json.dumps(self.canonical(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DeviceState:
        """Parse a ``state.json`` written by :meth:`to_json`."""
        return cls.model_validate_json(text)


SECTIONS: tuple[str, ...] = (
    "facts",
    "interfaces",
    "vlans",
    "neighbors",
    "routes",
    "dhcp_pools",
    "dns_servers",
    "ntp_servers",
    "snmp",
    "management",
    "users",
    "firewall_policies",
    "port_forwards",
    "ssids",
)


class StateChange(_Value):
    """One structured difference between two states, as plain values.

    ``kind`` is ``added``, ``removed`` or ``changed``; ``section`` the DeviceState field; ``path``
    a readable locator (``vlans[40]``, ``interfaces[Gi1/0/3].access_vlan``); ``message`` a
    catalog key (``state.vlan.added``...) and ``params`` its values, so renderers translate it.
    """

    device: str
    kind: Literal["added", "removed", "changed"]
    section: str
    path: str
    before: Any = None
    after: Any = None
    message: str
    params: dict[str, Any] = {}


#: The item model of each list section; ``facts`` is one object, strings sections hold ``value``.
ITEM_MODELS: dict[str, type[BaseModel]] = {
    "facts": Facts,
    "interfaces": Interface,
    "vlans": Vlan,
    "neighbors": Neighbor,
    "routes": Route,
    "dhcp_pools": DhcpPool,
    "snmp": Snmp,
    "management": MgmtAccess,
    "users": User,
    "firewall_policies": Policy,
    "port_forwards": PortForward,
    "ssids": Ssid,
}
STRING_SECTIONS = ("dns_servers", "ntp_servers")
#: The fields that name one item of a list section (identity in changes, order in the file).
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "interfaces": ("name",),
    "vlans": ("id",),
    "neighbors": ("local_port", "remote_name"),
    "routes": ("prefix", "next_hop"),
    "dhcp_pools": ("name",),
    "snmp": ("version", "community_fp"),
    "management": ("protocol", "interface"),
    "users": ("name",),
    "firewall_policies": ("id",),
    "port_forwards": ("id",),
    "ssids": ("name",),
}


def section_fields(section: str) -> set[str] | None:
    """The field names a record of ``section`` may have; None for an unknown section."""
    if section in STRING_SECTIONS:
        return {"value"}
    model = ITEM_MODELS.get(section)
    return set(model.model_fields) if model else None
