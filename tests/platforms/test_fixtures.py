"""Every platform fixture folder, checked against the profile it is named after.

See README.md in this folder for the layout. Cases are found, never listed: a new device or a new
change is a new folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from prisme_drift.classify import diff_configs
from prisme_drift.classify.patch import apply_hunks
from prisme_drift.classify.remediation import remediation_for, remediation_lines
from prisme_drift.classify.tree import sections_independent
from prisme_drift.collect.guard import check_fetch
from prisme_drift.collect.netmiko_fetch import facts_from
from prisme_drift.models import Category, Hunk
from prisme_drift.normalize import FingerprintKey, normalize, redact
from prisme_drift.profiles import Profile, get_profile, known_platforms

ROOT = Path(__file__).parent
KEY = FingerprintKey(b"prisme-drift-fixture-key-0123456")


@dataclass(frozen=True)
class Case:
    """One device configuration of one platform."""

    platform: str
    folder: Path

    @property
    def profile(self) -> Profile:
        return get_profile(self.platform)

    @property
    def raw(self) -> str:
        return (self.folder / "raw.txt").read_text(encoding="utf-8")

    @property
    def secrets(self) -> list[str]:
        path = self.folder / "secrets.txt"
        if not path.exists():
            return []
        return [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]

    def __str__(self) -> str:
        return f"{self.platform}/{self.folder.name}"


def _platform_dirs() -> list[Path]:
    return sorted(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _cases() -> list[Case]:
    return [
        Case(p.name, c)
        for p in _platform_dirs()
        for c in sorted(p.iterdir())
        if (c / "raw.txt").exists()
    ]


CASES = _cases()


def _files(sub: str) -> list[tuple[Case, Path]]:
    return [(c, f) for c in CASES for f in sorted((c.folder / sub).glob("*.txt"))]


def _changes() -> list[tuple[Case, Path]]:
    return [
        (c, d)
        for c in CASES
        for d in sorted((c.folder / "changes").glob("*"))
        if (d / "after.txt").exists()
    ]


@cache
def _normalized(platform: str, text: str) -> str:
    return normalize(text, get_profile(platform), KEY)


def _ids(items: list[tuple[Case, Path]]) -> list[str]:
    return [f"{case}/{path.name}" for case, path in items]


# -- discovery --------------------------------------------------------------------------------
def test_every_fixture_folder_names_a_profile() -> None:
    assert CASES, "no fixture found"
    for folder in _platform_dirs():
        assert folder.name in known_platforms(), f"{folder.name} is not a profile name"


def test_every_profile_has_fixtures() -> None:
    assert {c.platform for c in CASES} == set(known_platforms())


# -- normalization ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=str)
def test_normalized_text_is_as_expected(case: Case) -> None:
    expected = (case.folder / "normalized.txt").read_text(encoding="utf-8")
    assert _normalized(case.platform, case.raw) == expected


@pytest.mark.parametrize("case", CASES, ids=str)
def test_normalize_and_redact_are_idempotent(case: Case) -> None:
    once = _normalized(case.platform, case.raw)
    assert normalize(once, case.profile, KEY) == once
    assert redact(once, case.profile, KEY) == once


@pytest.mark.parametrize("case", CASES, ids=str)
def test_no_secret_in_normalized_text(case: Case) -> None:
    text = _normalized(case.platform, case.raw)
    for secret in case.secrets:
        assert secret not in text, f"{secret!r} left in the normalized text"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_good_fetch_passes_the_guard(case: Case) -> None:
    result = check_fetch(case.raw, case.profile)
    assert result.accepted, result.detail


@pytest.mark.parametrize(("case", "path"), _files("noise"), ids=_ids(_files("noise")))
def test_noise_only_fetch_stores_the_same_text(case: Case, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert check_fetch(text, case.profile).accepted
    assert _normalized(case.platform, text) == _normalized(case.platform, case.raw)


@pytest.mark.parametrize(("case", "path"), _files("bad"), ids=_ids(_files("bad")))
def test_bad_fetch_is_quarantined(case: Case, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = check_fetch(text, case.profile, last_good_lines=len(case.raw.splitlines()))
    assert not result.accepted


# -- changes ----------------------------------------------------------------------------------
def _approved_observed(case: Case, change: Path) -> tuple[str, str]:
    before = change / "before.txt"
    raw = before.read_text(encoding="utf-8") if before.exists() else case.raw
    after = (change / "after.txt").read_text(encoding="utf-8")
    return _normalized(case.platform, raw), _normalized(case.platform, after)


def _expected(change: Path) -> dict[str, Any]:
    data = yaml.safe_load((change / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("hunks"), f"{change}/expected.yaml lists no hunk"
    return data


def _matches(hunk: Hunk, want: dict[str, Any]) -> bool:
    got = hunk.as_dict()
    return all(
        got[key] == want[key] for key in ("category", "path", "removed", "added") if key in want
    )


CHANGES = _changes()


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_change_gives_the_expected_hunks(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    hunks = diff_configs(approved, observed, case.profile)
    wanted = _expected(change)["hunks"]
    left = list(hunks)
    for want in wanted:
        found = next((h for h in left if _matches(h, want)), None)
        assert found is not None, f"no hunk like {want}; got {[h.as_dict() for h in hunks]}"
        left.remove(found)
    assert not left, f"unexpected hunks: {[h.as_dict() for h in left]}"


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_every_changed_line_has_exactly_one_known_category(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    hunks = diff_configs(approved, observed, case.profile)
    lines = [(h.path, "-", line) for h in hunks for line in h.removed]
    lines += [(h.path, "+", line) for h in hunks for line in h.added]
    # a line in two hunks would have two categories
    assert len(lines) == len(set(lines)), f"a changed line is in two hunks: {lines}"
    assert all(isinstance(h.category, Category) for h in hunks), [h.category for h in hunks]
    assert all(h.category != Category.OTHER for h in hunks), "a changed line fell to 'other'"


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_accepting_every_hunk_reaches_observed(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    hunks = diff_configs(approved, observed, case.profile)
    moved = apply_hunks(approved, observed, hunks, case.profile)
    assert diff_configs(moved, observed, case.profile) == []


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_accepting_one_hunk_closes_that_hunk(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    hunks = diff_configs(approved, observed, case.profile)
    for hunk in hunks:
        moved = apply_hunks(approved, observed, [hunk], case.profile)
        left = {h.fingerprint("d") for h in diff_configs(moved, observed, case.profile)}
        assert hunk.fingerprint("d") not in left, hunk


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_remediation_as_expected(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    lines = remediation_lines(approved, observed, case.profile)
    if case.profile.remediator != "none":
        assert lines, "no remediation computed"
    wanted = _expected(change).get("remediation") or []
    position = 0
    for line in wanted:
        assert line in lines[position:], f"{line!r} missing (in order) from {lines}"
        position = lines.index(line, position) + 1
    hunks = diff_configs(approved, observed, case.profile)
    # each hunk gets its share where the remediation keeps the configuration's sections: block
    # trees, or hier_config reading each section on its own (a profile that is not
    # ``sections_independent`` lets hier_config move lines between sections)
    if lines and (case.profile.remediator == "edit_blocks" or sections_independent(case.profile)):
        shared = [h for h in hunks if remediation_for(h, lines, case.profile)]
        assert shared, "no hunk got a remediation hint"


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=_ids(CHANGES))
def test_no_secret_in_compare_output(case: Case, change: Path) -> None:
    approved, observed = _approved_observed(case, change)
    hunks = diff_configs(approved, observed, case.profile)
    shown = json.dumps(
        {
            "hunks": [h.as_dict() for h in hunks],
            "remediation": remediation_lines(approved, observed, case.profile),
        }
    )
    after = (change / "after.txt").read_text(encoding="utf-8")
    for secret in case.secrets:
        assert secret not in shown
        if secret in after:
            assert secret not in observed


# -- coverage ---------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", known_platforms())
def test_every_category_of_the_profile_is_exercised(platform: str) -> None:
    named = {rule.category for rule in get_profile(platform).categories} - {Category.OTHER}
    seen: set[str] = set()
    for case, change in CHANGES:
        if case.platform == platform:
            seen |= {h["category"] for h in _expected(change)["hunks"]}
    missing = {str(c) for c in named} - seen
    assert not missing, f"{platform}: no change case for {sorted(missing)}"


# -- facts ------------------------------------------------------------------------------------
FACTS = [c for c in CASES if (c.folder / "facts.yaml").exists()]


@pytest.mark.parametrize("case", FACTS, ids=str)
def test_fact_rules_find_the_facts(case: Case) -> None:
    data = yaml.safe_load((case.folder / "facts.yaml").read_text(encoding="utf-8"))
    assert facts_from(case.profile, data["outputs"]) == data["expected"]


@pytest.mark.parametrize("platform", known_platforms())
def test_netmiko_profiles_have_fact_fixtures(platform: str) -> None:
    profile = get_profile(platform)
    if profile.collect.method != "netmiko":
        return
    assert any(c.platform == platform for c in FACTS), f"{platform}: no facts.yaml"
    for rule in profile.collect.fact_rules.values():
        assert rule.command, rule


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rendered_tree_compares_equal_to_the_stored_text(case: Case) -> None:
    from prisme_drift.classify.dialects import render
    from prisme_drift.classify.tree import parse

    stored = _normalized(case.platform, case.raw)
    rendered = render(parse(stored, case.profile), case.profile)
    assert diff_configs(stored, rendered, case.profile) == []
