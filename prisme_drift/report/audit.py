"""The site audit ("état des lieux"): its inputs, its view model, its findings and figures.

``build_audit`` turns plain inputs (inventory devices with their last good poll, each device's
structured state and normalized configuration, the mandates on file) into a frozen
:class:`AuditView` that templates render and ``--json`` prints. No database, git or SSH here:
``report/audit_sources.py`` gathers the inputs; ``audit_model`` holds the values,
``audit_findings`` applies the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from prisme_drift.devicestate import DeviceState
from prisme_drift.report import analysis
from prisme_drift.report.audit_findings import evaluate, subjects
from prisme_drift.report.audit_model import (
    AdminRow,
    AuditInput,
    AuditView,
    DeviceInfo,
    EquipmentRow,
    FirewallRow,
    Mandate,
)
from prisme_drift.report.rules import (
    RuleSet,
)
from prisme_drift.report.topology import Link, Node, layout

COVERAGE_WINDOW = timedelta(hours=24)


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
