"""Audit rules as data: package files, site overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisme_drift.errors import ConfigError
from prisme_drift.report.audit import build_audit
from prisme_drift.report.audit_model import AuditInput
from prisme_drift.report.rules import PACKAGE_RULES, load_rules


def test_every_package_rule_has_a_unique_id_and_both_languages() -> None:
    rules = load_rules()
    ids = rules.ids()
    assert len(ids) == len(set(ids)) >= 18
    assert {c for c, _ in rules.rules} == {p.stem for p in PACKAGE_RULES.glob("*.yaml")}
    for _, rule in rules.rules:
        assert rule.title.fr and rule.title.en and rule.recommendation.fr


def test_site_rules_override_by_id_disable_and_add(
    tmp_path: Path, clinic_input: AuditInput
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "management.yaml").write_text(
        """category: management
rules:
  - id: MGMT-TELNET
    severity: low
    subject: management
    where: {protocol: telnet, enabled: true}
    title: {fr: "Telnet toléré sur ce site", en: "Telnet tolerated here"}
    recommendation: {fr: "Prévoir SSH.", en: "Plan SSH."}
  - id: SNMP-V2C
    severity: low
    subject: snmp
    enabled: false
    title: {fr: x, en: x}
    recommendation: {fr: x, en: x}
  - id: SITE-ADMIN-USER
    severity: medium
    subject: users
    where: {name: admin}
    title: {fr: "Compte « admin » générique", en: "Generic admin account"}
    recommendation: {fr: "Un compte nominatif par technicien.", en: "One named account each."}
"""
    )
    view = build_audit(clinic_input, load_rules(folder))
    by_rule: dict[str, list[str]] = {}
    for f in view.findings:
        by_rule.setdefault(f.rule, []).append(f.severity)
    assert by_rule["MGMT-TELNET"] == ["low"]
    assert "SNMP-V2C" not in by_rule
    assert sorted(f.device for f in view.findings if f.rule == "SITE-ADMIN-USER") == [
        "fw-cabinet",
        "rt-wan",
        "sw-accueil",
    ]
    telnet = next(f for f in view.findings if f.rule == "MGMT-TELNET")
    assert telnet.title == "Telnet toléré sur ce site"
    # the other categories are untouched
    assert "FW-ANY-ANY" in by_rule


def test_an_invalid_site_rule_file_names_the_file_and_key(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    bad = folder / "firewall.yaml"
    bad.write_text("category: firewall\nrules:\n  - id: FW-X\n    severity: urgent\n")
    with pytest.raises(ConfigError) as caught:
        load_rules(folder)
    text = str(caught.value)
    assert str(bad) in text
    assert "rules.0.severity" in text
    assert "rules.0.title" in text


def test_a_rule_file_named_after_another_category_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "wifi.yaml").write_text("category: vlan\nrules: []\n")
    with pytest.raises(ConfigError, match=r"wifi\.yaml: category 'vlan' differs"):
        load_rules(folder)


def test_a_bad_regular_expression_is_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "wifi.yaml").write_text(
        "category: wifi\nrules:\n  - id: WIFI-X\n    severity: low\n    subject: ssids\n"
        "    evidence: '(unclosed'\n    title: {fr: a, en: a}\n"
        "    recommendation: {fr: a, en: a}\n"
    )
    with pytest.raises(ConfigError, match=r"WIFI-X.*not a regular expression"):
        load_rules(folder)


def test_an_unknown_subject_is_refused_with_the_known_ones(
    tmp_path: Path, clinic_input: AuditInput
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "wifi.yaml").write_text(
        "category: wifi\nrules:\n  - id: WIFI-X\n    severity: low\n    subject: radios\n"
        "    title: {fr: a, en: a}\n    recommendation: {fr: a, en: a}\n"
    )
    with pytest.raises(ConfigError, match=r"unknown subject 'radios'; use one of .*ssids"):
        build_audit(clinic_input, load_rules(folder))
