"""The ticket commands as a technician types them: refusals name every reason."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.clirun import run_cli


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, config=config)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "cab"
    result = run_cli("init", folder)
    assert result.returncode == 0, result.stderr
    (folder / "inventory" / "hosts.yaml").write_text(
        yaml.safe_dump(
            {"sw01": {"hostname": "192.0.2.1", "platform": "ios", "groups": ["switches"]}}
        )
    )
    (folder / "inventory" / "groups.yaml").write_text(yaml.safe_dump({"switches": {}}))
    return folder / "prisme-drift.toml"


def test_add_approve_list_show_close(site: Path) -> None:
    add = run(
        site,
        "ticket",
        "add",
        "CHG-10",
        "--title",
        "VLAN CFAO",
        "--group",
        "switches",
        "--category",
        "vlan",
        "--category",
        "interface",
        "--start",
        "2026-12-01T08:00",
        "--end",
        "2026-12-01T12:00",
        "--rollback",
        "no vlan 40",
    )
    assert add.returncode == 0, add.stderr
    assert "+04:00" in add.stdout  # naive times are taken in the site timezone (Indian/Reunion)
    approve = run(site, "ticket", "approve", "CHG-10", "--by", "Dr Dupont", "--ref", "mail 25/11")
    assert approve.returncode == 0, approve.stderr
    listed = json.loads(run(site, "ticket", "list", "--json").stdout)
    assert [(t["id"], t["status"], t["approval"]["by"]) for t in listed] == [
        ("CHG-10", "approved", "Dr Dupont")
    ]
    shown = json.loads(run(site, "ticket", "show", "CHG-10", "--json").stdout)
    assert shown["categories"] == ["vlan", "interface"]
    readable = run(site, "ticket", "show", "CHG-10")
    assert readable.returncode == 0, readable.stderr
    lines = {line[:15].strip(): line[16:] for line in readable.stdout.splitlines()}
    assert lines["window"] == "2026-12-01 08:00:00 +04:00 → 2026-12-01 12:00:00 +04:00"
    assert lines["categories"] == "vlan, interface"
    assert lines["scope"] == "group switches"
    assert lines["rollback"] == "no vlan 40"
    assert (
        lines["approval"].startswith("Dr Dupont, 20") and "(ref. mail 25/11)" in lines["approval"]
    )
    closed = run(site, "ticket", "close", "CHG-10")
    assert closed.returncode == 0, closed.stderr
    assert (site.parent / "reports" / "interventions" / "cab-CHG-10.pdf").exists()
    again = run(site, "ticket", "cancel", "CHG-10")
    assert again.returncode == 5 and "already closed" in again.stderr
    verify = run(site, "audit", "verify")
    # add, approve, close, and the intervention report written at close
    assert verify.returncode == 0 and "4 entries" in verify.stdout


def test_approval_refusals_name_every_reason(site: Path) -> None:
    run(
        site,
        "ticket",
        "add",
        "CHG-11",
        "--title",
        "t",
        "--device",
        "sw01",
        "--category",
        "nat",
        "--start",
        "2026-12-01T08:00",
        "--end",
        "2026-12-01T09:00",
    )
    refused = run(site, "ticket", "approve", "CHG-11", "--by", "X", "--ref", "Y")
    assert refused.returncode == 5 and "rollback" in refused.stderr
    bad_window = run(
        site,
        "ticket",
        "add",
        "CHG-12",
        "--title",
        "t",
        "--device",
        "sw01",
        "--category",
        "nat",
        "--start",
        "2026-12-01T08:00",
        "--end",
        "2026-12-01T07:00",
        "--rollback",
        "r",
    )
    assert bad_window.returncode == 2 and "before it starts" in bad_window.stderr
    unknown = run(
        site,
        "ticket",
        "add",
        "CHG-13",
        "--title",
        "t",
        "--device",
        "sw99",
        "--category",
        "nat",
        "--start",
        "2026-12-01T08:00",
        "--end",
        "2026-12-01T09:00",
        "--rollback",
        "r",
    )
    assert unknown.returncode == 0
    refused = run(site, "ticket", "approve", "CHG-13", "--by", "X", "--ref", "Y")
    assert refused.returncode == 5 and "sw99" in refused.stderr


def test_import_is_all_or_nothing(site: Path, tmp_path: Path) -> None:
    good = {
        "id": "CHG-20",
        "title": "t",
        "devices": ["sw01"],
        "categories": ["vlan"],
        "start": "2026-12-01T08:00:00+04:00",
        "end": "2026-12-01T09:00:00+04:00",
        "rollback": "r",
    }
    bad = {**good, "id": "CHG-21", "end": "2026-12-01T07:00:00+04:00"}
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump([good, bad]))
    result = run(site, "ticket", "import", str(path))
    assert result.returncode == 2 and "ticket 2" in result.stderr
    assert json.loads(run(site, "ticket", "list", "--json").stdout) == []
    path.write_text(yaml.safe_dump([good]))
    assert run(site, "ticket", "import", str(path)).returncode == 0
    assert [t["id"] for t in json.loads(run(site, "ticket", "list", "--json").stdout)] == ["CHG-20"]


def _draft(site: Path, ticket_id: str, *extra: str) -> None:
    add = run(
        site, "ticket", "add", ticket_id, "--title", "IP orthophos", "--device", "sw01",
        "--category", "addressing", "--start", "2026-12-01T08:00", "--end", "2026-12-01T09:00",
        *extra,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr


def _restrict_sw01(site: Path) -> None:
    hosts_file = site.parent / "inventory" / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["sw01"]["data"] = {"restricted": {"manufacturer": "Dentsply Sirona"}}
    hosts_file.write_text(yaml.safe_dump(hosts))


def test_edit_a_draft_then_approve_it_with_the_same_id(site: Path) -> None:
    _restrict_sw01(site)
    _draft(site, "CHG-40", "--rollback", "ip address back")
    refused = run(site, "ticket", "approve", "CHG-40", "--by", "Dr Dupont", "--ref", "mail")
    assert refused.returncode == 5 and "--mandate" in refused.stderr
    edit = run(
        site, "ticket", "edit", "CHG-40", "--mandate", "MND-2026-014", "--category", "addressing",
        "--category", "vlan", "--end", "2026-12-01T10:00", "--by", "J. Martin",
    )  # fmt: skip
    assert edit.returncode == 0, edit.stderr
    assert "categories, end, mandate" in edit.stdout
    shown = json.loads(run(site, "ticket", "show", "CHG-40", "--json").stdout)
    assert shown["mandate"] == "MND-2026-014" and shown["categories"] == ["addressing", "vlan"]
    assert shown["end"] == "2026-12-01T10:00:00+04:00" and shown["status"] == "draft"
    approve = run(site, "ticket", "approve", "CHG-40", "--by", "Dr Dupont", "--ref", "mail")
    assert approve.returncode == 0, approve.stderr
    entries = json.loads(run(site, "audit", "list", "--json").stdout)
    [edited] = [e for e in entries if e["action"] == "ticket.edit"]
    assert edited["actor"] == "J. Martin" and edited["subject"] == "CHG-40"
    assert edited["details"]["before"] == {
        "categories": ["addressing"],
        "end": "2026-12-01T09:00:00+04:00",
        "mandate": None,
    }
    assert edited["details"]["after"]["mandate"] == "MND-2026-014"
    assert run(site, "audit", "verify").returncode == 0


def test_edit_refuses_approved_tickets_bad_values_and_unknown_ids(site: Path) -> None:
    _draft(site, "CHG-41", "--rollback", "r")
    bad = run(site, "ticket", "edit", "CHG-41", "--end", "2026-12-01T07:00")
    assert bad.returncode == 2 and "before it starts" in bad.stderr
    nothing = run(site, "ticket", "edit", "CHG-41")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    assert json.loads(run(site, "ticket", "show", "CHG-41", "--json").stdout)["end"].startswith(
        "2026-12-01T09:00"
    )
    assert run(site, "ticket", "approve", "CHG-41", "--by", "X", "--ref", "Y").returncode == 0
    approved = run(site, "ticket", "edit", "CHG-41", "--title", "other")
    assert approved.returncode == 5
    assert "only a draft can be edited" in approved.stderr
    assert "ticket cancel CHG-41" in approved.stderr and "new id" in approved.stderr
    assert (
        json.loads(run(site, "ticket", "show", "CHG-41", "--json").stdout)["title"]
        == "IP orthophos"
    )
    unknown = run(site, "ticket", "edit", "CHG-99", "--title", "x")
    assert unknown.returncode == 5 and "no ticket 'CHG-99'" in unknown.stderr
    entries = json.loads(run(site, "audit", "list", "--json").stdout)
    assert [e["action"] for e in entries] == ["ticket.add", "ticket.approve"]


def test_import_refuses_an_approved_ticket_that_fails_the_checks(
    site: Path, tmp_path: Path
) -> None:
    approved = {
        "id": "CHG-50",
        "title": "t",
        "devices": ["sw01", "sw77"],
        "categories": ["vlan"],
        "start": "2026-12-01T08:00:00+04:00",
        "end": "2026-12-01T09:00:00+04:00",
        "rollback": "r",
        "status": "approved",
        "approval": {"by": "X", "at": "2026-11-30T08:00:00+04:00", "ref": "mail"},
    }
    path = tmp_path / "approved.yaml"
    path.write_text(yaml.safe_dump([approved]))
    result = run(site, "ticket", "import", str(path))
    assert result.returncode == 5 and "sw77" in result.stderr and str(path) in result.stderr
    assert json.loads(run(site, "ticket", "list", "--json").stdout) == []
