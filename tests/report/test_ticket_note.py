"""``prisme-drift ticket note``: tests, attachments and remarks recorded in the audit trail."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image

from tests.clirun import run_cli

TESTS = [
    {
        "what": "ping imageur 192.168.40.10",
        "expected": "réponse",
        "observed": "2 ms",
        "result": "ok",
    },
    {"what": "impression", "expected": "une page", "observed": "rien", "result": "KO"},
]


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(config), *args)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site with one device and one draft ticket CHG-7."""
    folder = tmp_path / "cab"
    done = run_cli("init", str(folder), "--site", "cab")
    assert done.returncode == 0, done.stderr
    hosts = {"sw01": {"hostname": "192.0.2.1", "platform": "ios", "groups": ["switches"]}}
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (folder / "inventory" / "groups.yaml").write_text(yaml.safe_dump({"switches": {}}))
    config = folder / "prisme-drift.toml"
    window = ("--start", "2026-12-01T08:00", "--end", "2026-12-01T10:00")
    added = run(config, "ticket", "add", "CHG-7", "--title", "VLAN", "--device", "sw01",
                "--category", "vlan", *window)  # fmt: skip
    assert added.returncode == 0, added.stderr
    return config


def photo(path: Path) -> Path:
    Image.new("RGB", (800, 600), (200, 40, 40)).save(path, format="JPEG")
    return path


def audit_notes(config: Path) -> list[dict[str, object]]:
    entries = json.loads(run(config, "audit", "list", "--json").stdout)
    return [e for e in entries if e["action"] == "ticket.note"]


def test_note_records_tests_photo_and_remark(site: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump(TESTS, allow_unicode=True))
    image = photo(tmp_path / "baie.jpg")
    who = ("--technician", "J. Martin", "--remark", "Baie rangée", "--by", "jmartin")
    done = run(site, "ticket", "note", "CHG-7", "--tests", str(tests), "--attach", str(image), *who)
    assert done.returncode == 0, done.stderr
    assert "2 test(s) (1 ko), 1 attachment(s)" in done.stdout
    stored = site.parent / "reports" / "interventions" / "cab-CHG-7-files" / "baie.jpg"
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
    [note] = audit_notes(site)
    assert note["actor"] == "jmartin" and note["subject"] == "CHG-7"
    details = note["details"]
    assert isinstance(details, dict)
    assert details["technician"] == "J. Martin" and details["remark"] == "Baie rangée"
    assert [t["result"] for t in details["tests"]] == ["ok", "ko"]
    assert details["attachments"] == [
        {
            "name": "baie.jpg",
            "path": "cab-CHG-7-files/baie.jpg",
            "size": image.stat().st_size,
            "sha256": digest,
            "image": True,
        }
    ]
    assert run(site, "audit", "verify").returncode == 0


def test_same_name_other_content_is_kept_apart(site: Path, tmp_path: Path) -> None:
    first = tmp_path / "a" / "plan.txt"
    second = tmp_path / "b" / "plan.txt"
    for path, text in ((first, "v1"), (second, "v2")):
        path.parent.mkdir()
        path.write_text(text)
    assert run(site, "ticket", "note", "CHG-7", "--attach", str(first)).returncode == 0
    assert run(site, "ticket", "note", "CHG-7", "--attach", str(second)).returncode == 0
    assert run(site, "ticket", "note", "CHG-7", "--attach", str(first)).returncode == 0
    folder = site.parent / "reports" / "interventions" / "cab-CHG-7-files"
    assert sorted(p.name for p in folder.iterdir()) == ["plan-2.txt", "plan.txt"]
    paths = [n["details"]["attachments"][0]["path"] for n in audit_notes(site)]  # type: ignore[index]
    assert paths == ["cab-CHG-7-files/plan.txt", "cab-CHG-7-files/plan-2.txt",
                     "cab-CHG-7-files/plan.txt"]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "- {what: a, expected: b, observed: c}\n"
            "- {what: a, expected: b, observed: c, result: maybe, note: x}\n",
            "item 1: key 'result' is missing or empty\n"
            "  - item 2: unknown key 'note'; use what, expected, observed, result\n"
            "  - item 2: key 'result' is 'maybe'; use ok or ko",
        ),
        ("what: a\n", "expected a non-empty YAML list"),
        ("- [unclosed\n", "not valid YAML at line"),
    ],
)
def test_bad_tests_file_is_refused_and_changes_nothing(
    site: Path, tmp_path: Path, content: str, expected: str
) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text(content)
    image = photo(tmp_path / "baie.jpg")
    done = run(site, "ticket", "note", "CHG-7", "--tests", str(tests), "--attach", str(image))
    assert done.returncode == 2
    assert str(tests) in done.stderr and expected in done.stderr
    assert not (site.parent / "reports").exists()
    assert audit_notes(site) == []


def test_unknown_ticket_or_missing_file_changes_nothing(site: Path, tmp_path: Path) -> None:
    image = photo(tmp_path / "baie.jpg")
    unknown = run(site, "ticket", "note", "CHG-404", "--attach", str(image))
    assert unknown.returncode == 5 and "no ticket 'CHG-404'" in unknown.stderr
    missing = run(site, "ticket", "note", "CHG-7", "--attach", str(tmp_path / "nope.jpg"))
    assert missing.returncode == 2 and "nope.jpg: no such file" in missing.stderr
    empty = run(site, "ticket", "note", "CHG-7")
    assert empty.returncode == 2 and "nothing to record" in empty.stderr
    folder = site.parent / "reports" / "interventions"
    assert not any(folder.rglob("*.jpg")) if folder.exists() else True
    assert audit_notes(site) == []


def test_report_intervention_refuses_an_unknown_ticket_and_says_when_nothing_was_polled(
    site: Path,
) -> None:
    unknown = run(site, "report", "intervention", "CHG-404")
    assert unknown.returncode == 5 and "no ticket 'CHG-404'" in unknown.stderr
    assert not (site.parent / "reports").exists()
    done = run(site, "report", "intervention", "CHG-7", "--format", "html", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    html = Path(result["html"]).read_text()
    assert result["pdf"] is None and Path(result["html"]).name == "cab-CHG-7.html"
    assert "aucun relevé réussi" in html  # no poll before or after the window
    assert result["figures"]["rollback"] == {"sw01": "unknown"}
