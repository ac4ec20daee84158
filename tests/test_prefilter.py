"""The prefilter in front of the profiles' patterns: the lines it keeps are exactly the lines one
of the patterns matches, whichever way it rules the others out (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prisme_drift.profiles import Profile, get_profile, known_platforms
from prisme_drift.profiles.prefilter import any_of, holding, needles_of

FIXTURES = Path(__file__).parent / "platforms"


def _pattern_sets(profile: Profile) -> dict[str, tuple[str, ...]]:
    """Every set of patterns the guard and normalization prefilter, by name."""
    return {
        "guard": profile.guard.error_signatures,
        "secrets": tuple(rule.pattern for rule in profile.secrets),
        "secret blocks": tuple(rule.begin for rule in profile.secret_blocks),
        "noise": profile.noise,
        "ranges": tuple(rule.pattern for rule in profile.ranges),
        "sorted lists": tuple(rule.pattern for rule in profile.sorted_lists),
        "list merges": profile.list_merges,
    }


def _fixture_lines(platform: str) -> list[str]:
    lines: list[str] = []
    for path in sorted((FIXTURES / platform).rglob("*")):
        if path.is_file() and path.suffix not in (".py", ".md", ".json"):
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def _by_hand(patterns: tuple[str, ...], lines: list[str]) -> list[int]:
    return [n for n, line in enumerate(lines) if any(re.search(p, line) for p in patterns)]


@pytest.mark.parametrize("platform", known_platforms())
def test_kept_lines_are_the_lines_a_pattern_matches(platform: str) -> None:
    profile = get_profile(platform)
    lines = _fixture_lines(platform)
    assert lines, f"no fixture configuration for {platform}"
    for name, patterns in _pattern_sets(profile).items():
        joined = any_of(patterns)
        if joined is None:
            continue
        assert joined.keep(lines) == _by_hand(patterns, lines), (platform, name)


def test_most_pattern_sets_need_no_regular_expression_to_rule_a_line_out() -> None:
    profile = get_profile("ios")
    for name, patterns in _pattern_sets(profile).items():
        if patterns:
            joined = any_of(patterns)
            assert joined is not None and joined.needles, name


@pytest.mark.parametrize(
    ("pattern", "needles"),
    [
        (r"^\s*snmp-server community (?P<secret>\S+)", ("snmp-server community ",)),
        (r"^\s*(password|secret)( \d+)? (?P<secret>\S+)", ("password", "secret")),
        (r"^\s*key( \d+)? (?P<secret>\S+)\s*$", ("key",)),
        (r"^\S+[>#]\s*$", (">", "#")),
        (r"^(Access denied|Username:)", ("Access denied", "Username:")),
        (r"(?i)secret", None),  # case ignored: a needle could miss SECRET
        (r"(?i:secret) \S+", None),
        (r"^\s+\d+ \S+", None),  # no literal text at all
        (r"^a( b)?$", None),  # too short to rule anything out
        (r"x(abc)?y", None),
        (r"(ab|c)d+", None),
    ],
)
def test_needles_are_texts_every_match_holds(pattern: str, needles: tuple[str, ...] | None) -> None:
    assert needles_of(pattern) == needles


def test_holding_finds_needles_on_the_first_the_last_and_repeated_lines() -> None:
    lines = ["key 1", "nothing", "", "key key", "keyring", "a key"]
    assert holding(("key",), lines) == [0, 3, 4, 5]
    assert holding(("key", "thing"), lines) == [0, 1, 3, 4, 5]
    assert holding(("1\nnot",), lines) == [0]  # across a line break: only a candidate
    assert any_of([r"1\nnot", r"^zzz"]) is not None
    assert any_of([r"1\nnot", r"^zzz"]).keep(lines) == []  # type: ignore[union-attr]
    assert holding(("key",), []) == []


WORDS = st.sampled_from(
    ["key", "secret", "password", " ", "  ", "snmp-server", "community", "#", ">", "x", "7"]
)
LINES = st.lists(st.lists(WORDS, max_size=6).map("".join), max_size=12)
PATTERNS = st.lists(
    st.sampled_from(
        [
            r"^\s*key( \d+)? (?P<secret>\S+)\s*$",
            r"^\s*(password|secret)( \d+)? (?P<secret>\S+)",
            r"snmp-server community (?P<secret>\S+)",
            r"^\S+[>#]\s*$",
            r"secret$",
            r"^x",
        ]
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


@settings(max_examples=200, deadline=None)
@given(patterns=PATTERNS, lines=LINES)
def test_kept_lines_match_by_hand_on_generated_lines(patterns: list[str], lines: list[str]) -> None:
    joined = any_of(patterns)
    assert joined is not None
    assert joined.keep(lines) == _by_hand(tuple(patterns), lines)
