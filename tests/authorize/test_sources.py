"""Tickets as code: YAML files, validated, with clear errors; the audit chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prisme_drift.authorize.audit import GENESIS, Entry, entry_hash, verify_chain
from prisme_drift.authorize.sources import YamlFolderSource, load_ticket_file, merge
from prisme_drift.errors import ConfigError

GOOD = """\
id: CHG-2026-114
title: VLAN imagerie pour le nouveau CBCT
requested_by: Installateur Dentsply
devices: [sw-imagerie]
categories: [vlan]
start: 2026-12-01T08:00:00+04:00
end: 2026-12-01T12:00:00+04:00
rollback: "no vlan 40, Gi1/0/3 back to vlan 20"
status: approved
approval: {by: Dr Dupont, at: 2026-11-28T10:00:00+04:00, ref: "mail du 28/11"}
"""


def test_yaml_ticket_loads(tmp_path: Path) -> None:
    path = tmp_path / "chg.yaml"
    path.write_text(GOOD)
    [ticket] = load_ticket_file(path)
    assert ticket.id == "CHG-2026-114"
    assert ticket.start.utcoffset() is not None
    assert ticket.approval is not None and ticket.approval.by == "Dr Dupont"
    assert ticket.source == "yaml"


def test_bad_dates_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.replace("end: 2026-12-01T12:00:00+04:00", "end: 2026-11-30T12:00:00+04:00").replace(
            "categories: [vlan]", "categories: [vlans]"
        )
    )
    with pytest.raises(ConfigError) as info:
        load_ticket_file(path)
    text = str(info.value)
    assert str(path) in text and "[categories.0]" in text


def test_naive_date_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "naive.yaml"
    path.write_text(GOOD.replace("start: 2026-12-01T08:00:00+04:00", "start: 2026-12-01T08:00:00"))
    with pytest.raises(ConfigError, match="timezone"):
        load_ticket_file(path)


def test_approved_without_approval_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "\n".join(line for line in GOOD.splitlines() if not line.startswith("approval"))
    )
    with pytest.raises(ConfigError, match="needs 'approval'"):
        load_ticket_file(path)


def test_folder_source_skips_bad_files_and_reports_them(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    loaded = YamlFolderSource(tmp_path).load()
    assert [t.id for t in loaded.tickets] == ["CHG-2026-114"]
    assert len(loaded.problems) == 1 and "broken.yaml" in loaded.problems[0]


def test_same_id_in_two_sources_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    one = YamlFolderSource(tmp_path).load()
    merged = merge([one, YamlFolderSource(tmp_path, name="other").load()])
    assert merged.tickets == [] and "several sources" in merged.problems[0]


def chain(n: int) -> list[Entry]:
    entries = []
    prev = GENESIS
    for i in range(1, n + 1):
        at = datetime(2026, 11, 26, 10, i, tzinfo=UTC)
        details = {"n": i, "text": "accepté"}
        digest = entry_hash(prev, "s", at, "marie", "ticket.approve", f"CHG-{i}", details)
        entries.append(
            Entry(i, "s", at, "marie", "ticket.approve", f"CHG-{i}", details, prev, digest)
        )
        prev = digest
    return entries


def test_audit_chain_verifies_and_detects_edits_and_deletions() -> None:
    entries = chain(5)
    head = entries[-1].hash
    assert verify_chain(entries, head) == []
    edited = [*entries[:2], replace(entries[2], actor="mallory"), *entries[3:]]
    assert any("entry 3" in p and "edited" in p for p in verify_chain(edited, head))
    deleted = entries[:2] + entries[3:]
    assert any("entry 4" in p for p in verify_chain(deleted, head))
    truncated = entries[:4]
    assert any("head" in p for p in verify_chain(truncated, head))
