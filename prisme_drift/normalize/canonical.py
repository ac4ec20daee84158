"""Pass 3: canonical form, through a short list of named canonicalizers (never code in data).

Each canonicalizer takes the lines and the profile (whose data it may read, e.g. which lines hold
VLAN ranges) and returns new lines. Each one is idempotent, so normalizing stored text again
changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prisme_drift.errors import ProfileError
from prisme_drift.normalize.lists import canonical_range, sorted_items
from prisme_drift.normalize.sections import merge_duplicate_sections
from prisme_drift.profiles import Profile
from prisme_drift.profiles.prefilter import any_of
from prisme_drift.profiles.rules import GroupedRegex

Canonicalizer = Callable[[list[str], Profile], list[str]]
_SEQUENCE = re.compile(r"^(\s+)\d+\s+(?=\S)")
_SPACES = re.compile(r"[ \t]+")


def strip_trailing_whitespace(lines: list[str], profile: Profile) -> list[str]:
    """Trailing spaces and carriage returns carry no meaning."""
    return [line.rstrip() for line in lines]


def drop_blank_lines(lines: list[str], profile: Profile) -> list[str]:
    """Blank lines carry no meaning in any supported platform's configuration."""
    return [line for line in lines if line.strip()]


def drop_comment_lines(lines: list[str], profile: Profile) -> list[str]:
    """Lines that are only a comment marker (IOS '!') or a comment; never a section header."""
    prefixes = profile.comment_prefixes
    headers = profile.section_headers()
    return [
        line
        for line in lines
        if line in headers or not (prefixes and line.strip().startswith(prefixes))
    ]


def collapse_spaces(lines: list[str], profile: Profile) -> list[str]:
    """Runs of spaces/tabs inside a line become one space (column alignment is not meaning).

    Leading indentation is kept; text inside double quotes is left alone.
    """
    out = []
    for line in lines:
        body = line.lstrip(" \t")
        if "  " not in body and "\t" not in body:
            out.append(line)  # nothing to collapse: most lines, left without a regex call
            continue
        lead = line[: len(line) - len(body)]
        parts = body.split('"')
        parts[::2] = [_SPACES.sub(" ", part) for part in parts[::2]]
        out.append(lead + '"'.join(parts))
    return out


def _rewrite(
    line: str, rules: tuple[GroupedRegex, ...], fix: Callable[[str, str], str], profile: Profile
) -> str:
    for rule in rules:
        match = profile.pattern(rule.pattern).search(line)
        if match is None or match.group("group") is None:
            continue
        start, end = match.span("group")
        line = line[:start] + fix(match.group("group"), rule.separator) + line[end:]
    return line


def _rewrite_all(
    lines: list[str],
    rules: tuple[GroupedRegex, ...],
    fix: Callable[[str, str], str],
    profile: Profile,
) -> list[str]:
    """``_rewrite`` on every line some rule may match (one joined search rules the others out)."""
    if not rules:
        return lines
    maybe = any_of(rule.pattern for rule in rules)
    if maybe is None:
        return [_rewrite(line, rules, fix, profile) for line in lines]
    out = list(lines)
    for number in maybe.keep(lines):
        out[number] = _rewrite(lines[number], rules, fix, profile)
    return out


def canonical_ranges(lines: list[str], profile: Profile) -> list[str]:
    """VLAN and port lists in one form: ``1,2,3,4,7`` and ``4,1-3,7`` both become ``1-4,7``."""
    return _rewrite_all(lines, profile.ranges, lambda g, _: canonical_range(g), profile)


def sort_lists(lines: list[str], profile: Profile) -> list[str]:
    """Items of lists whose order means nothing (set elements, group members) sorted."""
    return _rewrite_all(lines, profile.sorted_lists, sorted_items, profile)


def _merge_into_previous(out: list[str], line: str, profile: Profile) -> bool:
    for pattern in profile.list_merges:
        match = profile.pattern(pattern).fullmatch(line)
        if match and out and out[-1].startswith(match["head"] + " "):
            out[-1] = f"{out[-1]},{match['items']}"
            return True
    return False


def merge_list_lines(lines: list[str], profile: Profile) -> list[str]:
    """IOS ``switchport trunk allowed vlan add 50`` folded into the line before it."""
    if not profile.list_merges:
        return lines
    maybe = any_of(profile.list_merges)
    hits = set(range(len(lines))) if maybe is None else set(maybe.keep(lines))
    if not hits:
        return lines
    out: list[str] = []
    for number, line in enumerate(lines):
        if number not in hits or not _merge_into_previous(out, line, profile):
            out.append(line)
    return out


def _unnumbered(line: str) -> str:
    """`` 10 permit ...`` -> `` permit ...`` (indentation kept)."""
    match = _SEQUENCE.match(line)
    return line if match is None else match.group(1) + line[match.end() :]


def _in_sequenced(line: str, profile: Profile) -> bool:
    return any(profile.pattern(p).search(line) for p in profile.sequenced_sections)


def strip_sequence_numbers(lines: list[str], profile: Profile) -> list[str]:
    """ACL entry numbers (``10 permit ...``) dropped under sections a platform renumbers.

    Order is kept (those sections are ordered), so an inserted rule is one added line and a
    ``resequence`` is no change at all.
    """
    if not profile.sequenced_sections:
        return lines
    tops = [i for i, line in enumerate(lines) if line[:1] not in (" ", "\t")]
    out = list(lines)
    for start, stop in zip(tops, [*tops[1:], len(lines)][: len(tops)], strict=True):
        if _in_sequenced(lines[start], profile):
            out[start + 1 : stop] = [_unnumbered(line) for line in lines[start + 1 : stop]]
    return out


def join_open_braces(lines: list[str], profile: Profile) -> list[str]:
    """An inline ``{ a, b,`` list continued on the next lines is joined into one line (nftables)."""
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        current = line if pending is None else f"{pending} {line.strip()}"
        opened = current.count("{") - current.count("}")
        if opened > 0 and not current.rstrip().endswith("{"):
            pending = current
            continue
        out.append(current)
        pending = None
    if pending is not None:
        out.append(pending)
    return out


CANONICALIZERS: dict[str, Canonicalizer] = {
    "strip_trailing_whitespace": strip_trailing_whitespace,
    "drop_blank_lines": drop_blank_lines,
    "drop_comment_lines": drop_comment_lines,
    "collapse_spaces": collapse_spaces,
    "canonical_ranges": canonical_ranges,
    "sort_lists": sort_lists,
    "merge_list_lines": merge_list_lines,
    "strip_sequence_numbers": strip_sequence_numbers,
    "join_open_braces": join_open_braces,
    "merge_duplicate_sections": merge_duplicate_sections,
}


def canonicalize(text: str, profile: Profile) -> str:
    """Apply the profile's canonicalizers in order; the result ends with one newline."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for name in profile.canonicalizers:
        try:
            step = CANONICALIZERS[name]
        except KeyError:
            raise ProfileError(
                f"profile {profile.name!r} names unknown canonicalizer {name!r}; "
                f"known: {', '.join(sorted(CANONICALIZERS))}"
            ) from None
        lines = step(lines, profile)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"
