"""One search that tells whether any of a profile's patterns can match a line.

Normalization and the fetch guard run every profile pattern on every line; on a configuration of
half a million lines that is millions of searches for a few hundred hits. The patterns joined
into one alternation answer "could any of them match here?" at once; only the lines it accepts go
through the patterns one by one, so the result is exactly the same. Patterns anchored at the line
start are joined under one ``^``, so the engine tries them at the start of the line only.

Cheaper still, when every pattern needs some literal text (``snmp-server community``, one of
``password`` or ``secret``...): those needles are looked for in the whole text at once
(``str.find``, no regular expression), and only the lines holding one are searched. A line
without any needle cannot match, so the result is still exactly the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_NAMED = re.compile(r"\(\?P<\w+>")
_BACKREF = re.compile(r"\(\?P=|\\[1-9]")


@dataclass(frozen=True)
class AnyOf:
    """Whether some pattern may match a line (never False where one of them matches)."""

    anchored: re.Pattern[str] | None
    floating: re.Pattern[str] | None
    #: Literal texts one of which every match holds; None when some pattern needs none.
    needles: tuple[str, ...] | None = None

    def search(self, line: str) -> bool:
        """True when one of the joined patterns matches somewhere in ``line``."""
        return bool(
            (self.anchored is not None and self.anchored.match(line))
            or (self.floating is not None and self.floating.search(line))
        )

    def keep(self, lines: list[str]) -> list[int]:
        """Indexes of the lines where one of the patterns matches."""
        if self.needles is not None:
            return [n for n in holding(self.needles, lines) if self.search(lines[n])]
        at_start = self.anchored.match if self.anchored is not None else None
        anywhere = self.floating.search if self.floating is not None else None
        if at_start is not None and anywhere is not None:
            return [i for i, line in enumerate(lines) if at_start(line) or anywhere(line)]
        test = at_start or anywhere
        return [i for i, line in enumerate(lines) if test(line)] if test is not None else []


def holding(needles: tuple[str, ...], lines: list[str]) -> list[int]:
    """Indexes of the lines that hold one of ``needles``, in order: ``str.find`` over the joined
    text, one pass per needle, and line numbers counted once, whatever the number of lines."""
    text = "\n".join(lines)
    found: list[int] = []
    for needle in needles:
        at = text.find(needle)
        while at != -1:
            found.append(at)
            end = text.find("\n", at)  # the next hit worth having is on a later line
            at = text.find(needle, end + 1) if end != -1 else -1
    kept: list[int] = []
    line, counted = 0, 0
    for at in sorted(found):
        line += text.count("\n", counted, at)
        counted = at
        if not kept or kept[-1] != line:
            kept.append(line)
    return kept


#: A needle shorter than this (a space, one letter) is on nearly every line: no use; but one
#: punctuation character (a prompt's ``#`` or ``>``) is rare enough in a configuration.
_MIN_NEEDLE = 3
_Needles = tuple[str, ...]


def _score(needles: _Needles) -> int:
    return min(len(n) for n in needles)


def _required(parsed: Any) -> list[_Needles]:
    """Sets of literal texts every match of a parsed sequence holds (one of each set)."""
    found: list[_Needles] = []
    run: list[str] = []
    for op, arg in parsed:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            found.append(("".join(run),))
            run = []
        if op is sre.SUBPATTERN and not arg[1] & sre.SRE_FLAG_IGNORECASE:
            found += _required(arg[3])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] >= 1:
            found += _required(arg[2])
        elif op is sre.BRANCH:
            options = [_best(_required(branch)) for branch in arg[1]]
            if all(o is not None for o in options):
                found.append(tuple(n for o in options if o is not None for n in o))
        elif op is sre.IN and all(item_op is sre.LITERAL for item_op, _ in arg):
            found.append(tuple(chr(value) for _, value in arg))
    if run:
        found.append(("".join(run),))
    return found


def _best(sets: list[_Needles]) -> _Needles | None:
    return max(sets, key=_score) if sets else None


def needles_of(pattern: str) -> _Needles | None:
    """Literal texts one of which every match of ``pattern`` holds; None if there are none
    worth looking for (too short), or the pattern ignores case."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
        return None
    best = _best(_required(parsed))
    if best is None:
        return None
    rare = all(len(n) >= _MIN_NEEDLE or not (n.isalnum() or n.isspace()) for n in best)
    return best if rare else None


def _needles(patterns: tuple[str, ...]) -> _Needles | None:
    found: list[str] = []
    for pattern in patterns:
        needles = needles_of(pattern)
        if needles is None:
            return None
        found += needles
    return tuple(dict.fromkeys(found))


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
            _needles(patterns),
        )
    except re.error:  # e.g. inline global flags: then every line is tried, as before
        return None


def any_of(patterns: Iterable[str]) -> AnyOf | None:
    """A matcher accepting every line where one of ``patterns`` matches; None when they cannot
    be joined (then every line must be tried with every pattern)."""
    return _compiled(tuple(patterns))
