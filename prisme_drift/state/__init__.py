"""Structured device state: model, getters, profile extractors, storage and deepdiff changes."""

from prisme_drift.devicestate import (
    SECTIONS,
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
    StateChange,
    User,
    Vlan,
)

__all__ = [
    "SECTIONS",
    "DeviceState",
    "DhcpPool",
    "Facts",
    "Interface",
    "MgmtAccess",
    "Neighbor",
    "Policy",
    "PortForward",
    "Route",
    "Snmp",
    "Ssid",
    "StateChange",
    "User",
    "Vlan",
]
