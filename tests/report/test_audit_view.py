"""The audit's figures and findings over a hand-made clinic of known topology."""

from __future__ import annotations

from dataclasses import replace

from prisme_drift.devicestate import MgmtAccess
from prisme_drift.report.audit import build_audit, site_graph
from prisme_drift.report.audit_model import AuditInput, Mandate
from prisme_drift.report.rules import load_rules
from tests.report.clinic import NOW, SERIALS, VLAN_IDS


def test_figures_match_the_known_topology(clinic_input: AuditInput) -> None:
    figures = build_audit(clinic_input, load_rules()).figures()
    assert figures["devices"] == 5
    assert figures["devices_with_state"] == 5
    assert figures["devices_polled_24h"] == 4  # ap-salle: two days ago
    assert figures["vlans"] == len(VLAN_IDS) - 1  # 30 appears nowhere in this clinic
    assert figures["vlan_ids"] == [10, 20, 40, 77, 99]
    # rt-wan-fw, fw-sw-accueil, sw-accueil-sw-imagerie (seen from both ends), sw-accueil-phone
    assert figures["links"] == 4
    assert figures["neighbors_outside_inventory"] == 1
    assert figures["subnets"] == 4
    assert figures["subnet_overlaps"] == 1
    assert figures["dhcp_scopes"] == 1
    assert figures["firewall_policies"] == 2
    assert figures["any_any_rules"] == 1
    assert figures["rules_without_log"] == 1
    assert figures["port_forwards"] == 1
    assert figures["wan_admin_access"] == 1
    assert figures["ssids"] == 2
    assert figures["restricted_devices"] == 1
    assert figures["restricted_without_mandate"] == 1
    assert figures["findings_by_severity"] == {"high": 7, "medium": 7, "low": 3, "info": 1}
    assert figures["findings"] == 18


def test_each_rule_fires_on_its_planted_case_and_nowhere_else(clinic_input: AuditInput) -> None:
    view = build_audit(clinic_input, load_rules())
    fired = sorted((f.rule, f.device) for f in view.findings)
    assert fired == [
        ("BACKUP-STALE", "ap-salle"),
        ("FW-ANY-ANY", "fw-cabinet"),
        ("FW-NO-LOG", "fw-cabinet"),
        ("FW-WAN-FORWARD", "fw-cabinet"),
        ("IP-OVERLAP", "fw-cabinet"),  # 10.10.0.0/16 (fw, rt-wan) vs 10.10.20.0/24
        ("MGMT-HTTP", "ap-salle"),
        ("MGMT-TELNET", "sw-accueil"),
        ("MGMT-WAN", "fw-cabinet"),
        ("RESTRICTED-MANDATE", "sw-imagerie"),
        ("SNMP-DEFAULT", "sw-imagerie"),
        ("SNMP-V2C", "sw-imagerie"),
        ("SSH-V1", "sw-accueil"),  # sw-imagerie's configuration says "ip ssh version 2"
        ("VLAN-NAME", "sw-accueil"),
        ("VLAN-TRUNK-FAR", "sw-imagerie"),
        ("VLAN-TRUNK-FAR", "sw-imagerie"),
        ("VLAN-UNDEFINED", "sw-accueil"),
        ("WIFI-NO-VLAN", "ap-salle"),
        ("WIFI-OPEN", "ap-salle"),
    ]
    far = sorted(f.detail for f in view.findings if f.rule == "VLAN-TRUNK-FAR")
    assert far == [
        "VLAN 40 autorisé sur Gi1/0/24, non défini sur sw-accueil",
        "VLAN 99 autorisé sur Gi1/0/24, non défini sur sw-accueil",
    ]


def test_findings_carry_the_evidence_line(clinic_input: AuditInput) -> None:
    view = build_audit(clinic_input, load_rules())
    by_rule = {f.rule: f for f in view.findings}
    assert (by_rule["MGMT-TELNET"].line, by_rule["MGMT-TELNET"].evidence) == (
        5,
        "transport input ssh telnet",
    )
    assert (by_rule["FW-ANY-ANY"].line, by_rule["FW-ANY-ANY"].evidence) == (4, "edit 2")
    assert by_rule["SNMP-DEFAULT"].evidence.startswith("snmp-server community <secret:")
    assert by_rule["MGMT-TELNET"].recommendation.startswith("Désactiver Telnet")


def test_fixing_a_planted_case_removes_its_finding_only(clinic_input: AuditInput) -> None:
    states = dict(clinic_input.states)
    accueil = states["sw-accueil"]
    states["sw-accueil"] = accueil.model_copy(
        update={"management": [MgmtAccess(protocol="ssh", enabled=True)]}
    )
    before = build_audit(clinic_input, load_rules())
    after = build_audit(replace(clinic_input, states=states), load_rules())
    assert {f.rule for f in before.findings} - {f.rule for f in after.findings} == {"MGMT-TELNET"}
    assert len(after.findings) == len(before.findings) - 1


def test_a_current_mandate_clears_the_restricted_finding(clinic_input: AuditInput) -> None:
    mandates = {"sw-imagerie": (Mandate("CHG-7", "Mandat Sirona 2026-11", NOW.replace(year=2027)),)}
    view = build_audit(replace(clinic_input, mandates=mandates), load_rules())
    row = next(r for r in view.equipment if r.name == "sw-imagerie")
    assert (row.mandate, row.mandate_ref) == ("valid", "Mandat Sirona 2026-11 (CHG-7)")
    assert "RESTRICTED-MANDATE" not in {f.rule for f in view.findings}
    expired = {"sw-imagerie": (Mandate("CHG-1", "old", NOW.replace(year=2025)),)}
    view = build_audit(replace(clinic_input, mandates=expired), load_rules())
    assert "RESTRICTED-MANDATE" in {f.rule for f in view.findings}


def test_equipment_rows_hold_every_serial(clinic_input: AuditInput) -> None:
    view = build_audit(clinic_input, load_rules())
    assert {r.name: r.serial for r in view.equipment} == SERIALS


def test_topology_merges_both_ends_and_resolves_fqdn_names(clinic_input: AuditInput) -> None:
    nodes, links = site_graph(clinic_input)
    pairs = sorted(tuple(sorted((lk.a, lk.b))) for lk in links)
    assert pairs == [
        ("SEP001122334455", "sw-accueil"),
        ("fw-cabinet", "rt-wan"),
        ("fw-cabinet", "sw-accueil"),
        ("sw-accueil", "sw-imagerie"),
    ]
    external = [n.name for n in nodes if n.external]
    assert external == ["SEP001122334455"]


def test_english_wording_comes_from_the_rules_files(clinic_input: AuditInput) -> None:
    view = build_audit(clinic_input, load_rules(), lang="en")
    titles = {f.rule: f.title for f in view.findings}
    assert titles["MGMT-TELNET"] == "Telnet enabled"
    assert titles["FW-ANY-ANY"] == "Any-to-any rule"
