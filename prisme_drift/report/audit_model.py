"""The site audit's values: its inputs (``AuditInput``) and its frozen view model
(``AuditView``) that templates render and ``--json`` prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prisme_drift.devicestate import DeviceState
from prisme_drift.report import analysis
from prisme_drift.report.rules import (
    SEVERITIES,
)
from prisme_drift.report.topology import Diagram


@dataclass(frozen=True)
class DeviceInfo:
    """An inventory device and what the database knows of its polls."""

    name: str
    platform: str
    address: str = ""
    role: str = ""
    restricted: str | None = None  # manufacturer holding the maintenance rights
    last_success_at: datetime | None = None
    last_status: str | None = None


@dataclass(frozen=True)
class Mandate:
    """A written manufacturer mandate carried by an approved ticket covering a device."""

    ticket: str
    reference: str
    end: datetime


@dataclass(frozen=True)
class AuditInput:
    """Everything the audit is built from."""

    site: str
    client: str
    generated_at: datetime
    devices: tuple[DeviceInfo, ...]
    states: Mapping[str, DeviceState]
    configs: Mapping[str, str] = field(default_factory=dict)
    mandates: Mapping[str, tuple[Mandate, ...]] = field(default_factory=dict)
    fingerprint: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Finding:
    """One rule firing on one item, with the configuration line that proves it."""

    rule: str
    category: str
    severity: str
    device: str
    title: str
    detail: str
    recommendation: str
    line: int | None
    evidence: str


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one rule: one row in the document, however many devices it concerns."""

    rule: str
    category: str
    severity: str
    title: str
    recommendation: str
    items: tuple[Finding, ...]

    @property
    def same_detail(self) -> bool:
        """Whether every item says the same thing (then the detail is printed once)."""
        return len({f.detail for f in self.items}) == 1


def group_findings(findings: tuple[Finding, ...]) -> tuple[FindingGroup, ...]:
    """Findings grouped by rule, in the order of their first (most severe) finding."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return tuple(
        FindingGroup(
            rule=rule,
            category=items[0].category,
            severity=items[0].severity,
            title=items[0].title,
            recommendation=items[0].recommendation,
            items=tuple(items),
        )
        for rule, items in groups.items()
    )


@dataclass(frozen=True)
class EquipmentRow:
    """One device in the equipment tables."""

    name: str
    platform: str
    role: str
    vendor: str
    model: str
    serial: str
    os_version: str
    uptime_s: int | None
    address: str
    last_good: datetime | None
    covered: bool
    has_state: bool
    restricted: str | None
    mandate: str  # valid | expired | missing | "" (not restricted)
    mandate_ref: str


@dataclass(frozen=True)
class AdminRow:
    """Administrative access of one device."""

    device: str
    protocols: Mapping[str, bool | None]  # ssh/telnet/http/https -> enabled (None: unknown)
    snmp: tuple[str, ...]
    default_community: bool
    users: tuple[str, ...]
    wan: tuple[str, ...]


@dataclass(frozen=True)
class FirewallRow:
    """Policy counts of one firewall."""

    device: str
    policies: int
    enabled: int
    any_any: int
    no_log: int


@dataclass(frozen=True)
class AuditView:
    """The audit, ready for templates and JSON."""

    site: str
    client: str
    generated_at: datetime
    equipment: tuple[EquipmentRow, ...]
    topology: Diagram
    vlans: tuple[analysis.VlanRow, ...]
    vlan_issues: tuple[Mapping[str, Any], ...]
    subnets: tuple[analysis.SubnetRow, ...]
    overlaps: tuple[Mapping[str, Any], ...]
    gateways: tuple[tuple[str, str], ...]
    dhcp: tuple[Mapping[str, Any], ...]
    firewalls: tuple[FirewallRow, ...]
    policies: tuple[Mapping[str, Any], ...]
    port_forwards: tuple[Mapping[str, Any], ...]
    wan_admin: tuple[Mapping[str, Any], ...]
    ssids: tuple[Mapping[str, Any], ...]
    admin: tuple[AdminRow, ...]
    findings: tuple[Finding, ...]
    configs: tuple[tuple[str, str], ...]
    states: Mapping[str, DeviceState]

    @property
    def finding_groups(self) -> tuple[FindingGroup, ...]:
        """Findings grouped by rule, most severe first."""
        return group_findings(self.findings)

    @property
    def severity_counts(self) -> dict[str, int]:
        """Findings per severity, every severity present."""
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in SEVERITIES}

    def figures(self) -> dict[str, Any]:
        """The audit's numbers, as ``--json`` prints them."""
        return {
            "devices": len(self.equipment),
            "devices_with_state": sum(r.has_state for r in self.equipment),
            "devices_polled_24h": sum(r.covered for r in self.equipment),
            "restricted_devices": sum(r.restricted is not None for r in self.equipment),
            "restricted_without_mandate": sum(
                r.mandate in ("missing", "expired") for r in self.equipment
            ),
            "links": len(self.topology.links),
            "neighbors_outside_inventory": sum(b.node.external for b in self.topology.boxes),
            "vlans": len(self.vlans),
            "vlan_ids": [v.id for v in self.vlans],
            "vlan_issues": len(self.vlan_issues),
            "subnets": len({s.network for s in self.subnets}),
            "subnet_overlaps": len(self.overlaps),
            "dhcp_scopes": len(self.dhcp),
            "firewall_policies": sum(f.policies for f in self.firewalls),
            "any_any_rules": sum(f.any_any for f in self.firewalls),
            "rules_without_log": sum(f.no_log for f in self.firewalls),
            "port_forwards": len(self.port_forwards),
            "wan_admin_access": len(self.wan_admin),
            "ssids": len(self.ssids),
            "findings": len(self.findings),
            "findings_by_severity": self.severity_counts,
            "findings_by_rule": dict(sorted(Counter(f.rule for f in self.findings).items())),
        }
