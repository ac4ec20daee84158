"""One search that tells whether any of a profile's patterns can match a line.

Normalization and the fetch guard run every profile pattern on every line; on a configuration of
half a million lines that is millions of searches for a few hundred hits. The patterns joined
into one alternation answer "could any of them match here?" at once; only the lines it accepts go
through the patterns one by one, so the result is exactly the same. Patterns anchored at the line
start are joined under one ``^``, so the engine tries them at the start of the line only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_NAMED = re.compile(r"\(\?P<\w+>")
_BACKREF = re.compile(r"\(\?P=|\\[1-9]")


@dataclass(frozen=True)
class AnyOf:
    """Whether some pattern may match a line (never False where one of them matches)."""

    anchored: re.Pattern[str] | None
    floating: re.Pattern[str] | None

    def search(self, line: str) -> bool:
        """True when one of the joined patterns matches somewhere in ``line``."""
        return bool(
            (self.anchored is not None and self.anchored.match(line))
            or (self.floating is not None and self.floating.search(line))
        )

    def keep(self, lines: list[str]) -> list[int]:
        """Indexes of the lines where one of the patterns matches."""
        at_start = self.anchored.match if self.anchored is not None else None
        anywhere = self.floating.search if self.floating is not None else None
        if at_start is not None and anywhere is not None:
            return [i for i, line in enumerate(lines) if at_start(line) or anywhere(line)]
        test = at_start or anywhere
        return [i for i, line in enumerate(lines) if test(line)] if test is not None else []


def _join(patterns: list[str]) -> str:
    return "|".join(f"(?:{_NAMED.sub('(?:', p)})" for p in patterns)


def _top_level_bar(pattern: str) -> bool:
    """Whether ``pattern`` has a ``|`` outside any group or class (``^a|b`` is not anchored)."""
    depth, in_class, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _anchored(pattern: str) -> bool:
    return pattern.startswith("^") and not _top_level_bar(pattern)


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> AnyOf | None:
    if not patterns or any(_BACKREF.search(p) for p in patterns):
        return None  # a back-reference would change meaning once joined
    anchored = [p[1:] for p in patterns if _anchored(p)]
    floating = [p for p in patterns if not _anchored(p)]
    try:
        return AnyOf(
            re.compile(_join(anchored)) if anchored else None,
            re.compile(_join(floating)) if floating else None,
        )
    except re.error:  # e.g. inline global flags: then every line is tried, as before
        return None


def any_of(patterns: Iterable[str]) -> AnyOf | None:
    """A matcher accepting every line where one of ``patterns`` matches; None when they cannot
    be joined (then every line must be tried with every pattern)."""
    return _compiled(tuple(patterns))
