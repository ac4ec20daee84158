"""The site audit's findings: what each rule selects from (subjects), and the rules applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prisme_drift.errors import ConfigError
from prisme_drift.report import analysis
from prisme_drift.report.audit_model import (
    AuditInput,
    EquipmentRow,
    Finding,
)
from prisme_drift.report.rules import (
    SEVERITIES,
    Item,
    Rule,
    RuleSet,
    evidence_line,
    fill,
    matches,
)

STATE_LISTS = (
    "interfaces", "vlans", "neighbors", "routes", "dhcp_pools", "snmp", "users",
    "port_forwards", "ssids",
)  # fmt: skip


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
