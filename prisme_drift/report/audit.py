"""The site audit ("état des lieux"): its inputs, its view model, its findings and figures.

``build_audit`` turns plain inputs (inventory devices with their last good poll, each device's
structured state and normalized configuration, the mandates on file) into a frozen
:class:`AuditView` that templates render and ``--json`` prints. No database, git or SSH here:
``report/audit_sources.py`` gathers the inputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prisme_drift.devicestate import DeviceState
from prisme_drift.errors import ConfigError
from prisme_drift.report import analysis
from prisme_drift.report.rules import (
    SEVERITIES,
    Item,
    Rule,
    RuleSet,
    evidence_line,
    fill,
    matches,
)
from prisme_drift.report.topology import Diagram, Link, Node, layout

COVERAGE_WINDOW = timedelta(hours=24)
STATE_LISTS = (
    "interfaces", "vlans", "neighbors", "routes", "dhcp_pools", "snmp", "users",
    "port_forwards", "ssids",
)  # fmt: skip


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


# -- equipment -----------------------------------------------------------------------------------
def _mandate_status(
    info: DeviceInfo, mandates: tuple[Mandate, ...], now: datetime
) -> tuple[str, str]:
    if info.restricted is None:
        return "", ""
    if not mandates:
        return "missing", ""
    latest = max(mandates, key=lambda m: m.end)
    return ("valid" if latest.end >= now else "expired"), f"{latest.reference} ({latest.ticket})"


def _equipment(data: AuditInput) -> list[EquipmentRow]:
    rows = []
    for info in sorted(data.devices, key=lambda d: d.name):
        state = data.states.get(info.name)
        facts = state.facts if state else None
        mandate, ref = _mandate_status(info, data.mandates.get(info.name, ()), data.generated_at)
        covered = (
            info.last_success_at is not None
            and data.generated_at - info.last_success_at <= COVERAGE_WINDOW
        )
        rows.append(
            EquipmentRow(
                name=info.name,
                platform=info.platform,
                role=info.role,
                vendor=(facts.vendor if facts else None) or "",
                model=(facts.model if facts else None) or "",
                serial=(facts.serial if facts else None) or "",
                os_version=(facts.os_version if facts else None) or "",
                uptime_s=facts.uptime_s if facts else None,
                address=info.address,
                last_good=info.last_success_at,
                covered=covered,
                has_state=state is not None,
                restricted=info.restricted,
                mandate=mandate,
                mandate_ref=ref,
            )
        )
    return rows


# -- subjects: what rules select from ------------------------------------------------------------
def _device_items(data: AuditInput, section: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for device, state in sorted(data.states.items()):
        if section == "management":
            items += analysis.management_items(device, state)
        elif section == "firewall_policies":
            items += analysis.policy_items(device, state)
        elif section == "device":
            items.append(
                {
                    **state.facts.model_dump(),
                    "device": device,
                    "platform": state.platform,
                    "config": data.configs.get(device, ""),
                }
            )
        else:
            items += [
                {**v.model_dump(), "device": device, "platform": state.platform}
                for v in getattr(state, section)
            ]
    return items


def subjects(data: AuditInput, equipment: list[EquipmentRow]) -> dict[str, list[dict[str, Any]]]:
    """Every subject a rule may name, as lists of plain items carrying ``device``."""
    found = {
        s: _device_items(data, s)
        for s in (*STATE_LISTS, "management", "firewall_policies", "device")
    }
    found["vlan_issues"] = analysis.vlan_issues(data.states)
    found["subnet_overlaps"] = analysis.subnet_overlaps(data.states)
    found["coverage"] = [
        {"device": r.name, "platform": r.platform, "covered": r.covered, "has_state": r.has_state}
        for r in equipment
    ]
    found["restricted"] = [
        {
            "device": r.name,
            "platform": r.platform,
            "manufacturer": r.restricted,
            "mandate": r.mandate,
            "reference": r.mandate_ref,
        }
        for r in equipment
        if r.restricted is not None
    ]
    return found


def evaluate(
    rules: RuleSet, found: Mapping[str, list[dict[str, Any]]], data: AuditInput, lang: str
) -> list[Finding]:
    """Every finding of every enabled rule, most severe first."""
    lines = {device: text.splitlines() for device, text in data.configs.items()}
    findings = []
    for category, rule in rules.rules:
        if rule.subject not in found:
            raise ConfigError(
                f"audit rule {rule.id} ({category}.yaml): unknown subject {rule.subject!r}; "
                f"use one of {', '.join(sorted(found))}"
            )
        for item in found[rule.subject]:
            if matches(rule, item, data.fingerprint):
                findings.append(_finding(category, rule, item, lines, lang))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (rank[f.severity], f.rule, f.device, f.line or 0))


def _finding(
    category: str, rule: Rule, item: Item, lines: Mapping[str, list[str]], lang: str
) -> Finding:
    device = str(item.get("device", ""))
    proof = evidence_line(rule, item, lines.get(device, []))
    return Finding(
        rule=rule.id,
        category=category,
        severity=rule.severity,
        device=device,
        title=fill(rule.title.get(lang), item),
        detail=fill(rule.detail.get(lang), item) if rule.detail else "",
        recommendation=fill(rule.recommendation.get(lang), item),
        line=proof[0] if proof else None,
        evidence=proof[1] if proof else "",
    )


# -- topology ------------------------------------------------------------------------------------
def _port_key(port: str | None) -> str:
    """``GigabitEthernet1/0/48`` and ``Gi1/0/48`` are the same port."""
    text = (port or "").strip().lower()
    digits = next((i for i, c in enumerate(text) if c.isdigit()), len(text))
    return text[:2] + text[digits:]


def site_graph(data: AuditInput) -> tuple[list[Node], list[Link]]:
    """Boxes (inventory devices, and neighbours outside it) and de-duplicated links."""
    resolve = analysis.resolver(data.states, [d.name for d in data.devices])
    nodes = {
        d.name: Node(d.name, d.role, _subtitle(d, data.states.get(d.name))) for d in data.devices
    }
    links: dict[frozenset[tuple[str, str]], Link] = {}
    for device, state in sorted(data.states.items()):
        for n in state.neighbors:
            if not n.remote_name:
                continue
            remote = resolve(n.remote_name)
            nodes.setdefault(remote, Node(remote, external=True))
            key = frozenset({(device, _port_key(n.local_port)), (remote, _port_key(n.remote_port))})
            links.setdefault(key, Link(device, remote, n.local_port, n.remote_port or ""))
    return list(nodes.values()), _drop_partial(list(links.values()))


def _drop_partial(links: list[Link]) -> list[Link]:
    """A link seen from one side without the far port is dropped when the pair has a full one."""
    full = {frozenset((lk.a, lk.b)) for lk in links if lk.a_port and lk.b_port}
    return [lk for lk in links if (lk.a_port and lk.b_port) or frozenset((lk.a, lk.b)) not in full]


def _subtitle(info: DeviceInfo, state: DeviceState | None) -> str:
    model = state.facts.model if state else None
    return " ".join(p for p in (info.role, model or info.platform) if p)


# -- the view ------------------------------------------------------------------------------------
def _admin_rows(
    states: Mapping[str, DeviceState],
    fingerprint: Callable[[str], str] | None,
    defaults: tuple[str, ...],
) -> list[AdminRow]:
    marks = {fingerprint(c) for c in defaults} if fingerprint else set()
    rows = []
    for device, state in sorted(states.items()):
        protocols: dict[str, bool | None] = dict.fromkeys(("ssh", "telnet", "http", "https"))
        for m in state.management:
            if m.protocol in protocols:
                protocols[m.protocol] = bool(protocols[m.protocol]) or m.enabled
        wan = analysis.wan_interfaces(state)
        rows.append(
            AdminRow(
                device=device,
                protocols=protocols,
                snmp=tuple(
                    sorted(
                        {f"{s.version or 'v1/v2c'} {s.access or ''}".strip() for s in state.snmp}
                    )
                ),
                default_community=any(s.community_fp in marks for s in state.snmp),
                users=tuple(u.name for u in state.users),
                wan=tuple(
                    sorted(m.protocol for m in state.management if m.enabled and m.interface in wan)
                ),
            )
        )
    return rows


def _firewall_rows(found: Mapping[str, list[dict[str, Any]]]) -> list[FirewallRow]:
    by_device: dict[str, list[dict[str, Any]]] = {}
    for item in found["firewall_policies"]:
        by_device.setdefault(item["device"], []).append(item)
    return [
        FirewallRow(
            device=device,
            policies=len(items),
            enabled=sum(bool(i["enabled"]) for i in items),
            any_any=sum(_any_any(i) for i in items),
            no_log=sum(bool(i["accept"] and i["log"] is False) for i in items),
        )
        for device, items in sorted(by_device.items())
    ]


def _any_any(item: Mapping[str, Any]) -> bool:
    return bool(item["accept"] and item["any_src"] and item["any_dst"] and item["any_service"])


FOLD_AT = 140  # characters of a configuration line on an A4 page at the appendix's font size


def fold(text: str, width: int = FOLD_AT) -> str:
    """Long configuration lines cut into continuation lines marked with ``↪``."""
    out = []
    for line in text.splitlines():
        rest = line
        while len(rest) > width:
            out.append(rest[:width])
            rest = "  ↪ " + rest[width:]
        out.append(rest)
    return "\n".join(out)


DEFAULT_COMMUNITIES = ("public", "private", "community", "snmp", "cisco")


def build_audit(data: AuditInput, rules: RuleSet, lang: str = "fr") -> AuditView:
    """The audit view of a site from its inputs and rules."""
    equipment = _equipment(data)
    found = subjects(data, equipment)
    dhcp = [
        dict(i, ntp=", ".join(data.states[i["device"]].ntp_servers)) for i in found["dhcp_pools"]
    ]
    return AuditView(
        site=data.site,
        client=data.client,
        generated_at=data.generated_at,
        equipment=tuple(equipment),
        topology=layout(*site_graph(data)),
        vlans=tuple(analysis.vlan_rows(data.states)),
        vlan_issues=tuple(found["vlan_issues"]),
        subnets=tuple(analysis.subnet_rows(data.states)),
        overlaps=tuple(found["subnet_overlaps"]),
        gateways=tuple(analysis.default_gateways(data.states)),
        dhcp=tuple(dhcp),
        firewalls=tuple(_firewall_rows(found)),
        policies=tuple(i for i in found["firewall_policies"] if _any_any(i)),
        port_forwards=tuple(found["port_forwards"]),
        wan_admin=tuple(i for i in found["management"] if i["from_wan"] and i["enabled"]),
        ssids=tuple(found["ssids"]),
        admin=tuple(_admin_rows(data.states, data.fingerprint, DEFAULT_COMMUNITIES)),
        findings=tuple(evaluate(rules, found, data, lang)),
        configs=tuple((name, fold(text)) for name, text in sorted(data.configs.items())),
        states=data.states,
    )
