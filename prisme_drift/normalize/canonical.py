"""Pass 3: canonical form, through a short list of named canonicalizers (never code in data)."""

from __future__ import annotations

from collections.abc import Callable

from prisme_drift.errors import ProfileError
from prisme_drift.profiles import Profile

Canonicalizer = Callable[[list[str], Profile], list[str]]


def strip_trailing_whitespace(lines: list[str], profile: Profile) -> list[str]:
    """Trailing spaces and carriage returns carry no meaning."""
    return [line.rstrip() for line in lines]


def drop_blank_lines(lines: list[str], profile: Profile) -> list[str]:
    """Blank lines carry no meaning in any supported platform's configuration."""
    return [line for line in lines if line.strip()]


def drop_comment_lines(lines: list[str], profile: Profile) -> list[str]:
    """Lines that are only a comment marker (IOS '!') or a comment."""
    prefixes = profile.comment_prefixes
    return [line for line in lines if not (prefixes and line.strip().startswith(prefixes))]


CANONICALIZERS: dict[str, Canonicalizer] = {
    "strip_trailing_whitespace": strip_trailing_whitespace,
    "drop_blank_lines": drop_blank_lines,
    "drop_comment_lines": drop_comment_lines,
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
