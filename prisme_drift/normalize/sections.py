"""Top-level sections of indentation-nested configurations (IOS, NX-OS, EOS) and their duplicates.

A *stanza* is a line at column 0 with every line nested (indented) under it, or a banner with its
text up to its closing delimiter (banner text is not indented); it is kept as one string, its
lines joined by newlines, so that splitting, comparing and joining half a million lines costs a
few regex and string operations, not a Python step per line.

Devices never show a section twice, but concatenated, hand-edited or exported configurations do;
loaded on the device, the second block adds its lines to the first. ``merge_duplicate_sections``
does the same, so the text stored and compared is the configuration the device would have, and
no parser meets a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prisme_drift.profiles import Profile

Stanza = str
_BANNER = "banner "
_BANNER_ENDS = frozenset({"EOF", "%", "!"})
_TOP = re.compile(r"\n(?=[^ \t\n])")  # a newline followed by a line at column 0


def _banner_end(first: str) -> Callable[[str], bool]:
    """How the banner opened by ``first`` ends: the test hier_config applies, per banner."""
    words = first.split()
    ends = set(_BANNER_ENDS)
    contains: list[str] = []
    if len(words) > 2:
        delimiter = words[2]
        contains.append(delimiter)
        if delimiter.startswith('"'):
            contains.append('"')
        ends.update({delimiter[:1], delimiter[:2]})

    def test(line: str) -> bool:
        return line.startswith("^") or line in ends or any(c in line for c in contains)

    return test


def _opens_banner(line: str) -> bool:
    return line.startswith(_BANNER) and line != "banner motd ##"


def _first_line(stanza: Stanza) -> str:
    # not split(): that would copy the rest of a stanza (an ACL of thousands of lines) each time
    end = stanza.find("\n")
    return stanza if end < 0 else stanza[:end]


def is_banner(stanza: Stanza) -> bool:
    """Whether ``stanza`` is a banner (its text lines are not nested lines)."""
    return _opens_banner(_first_line(stanza))


def _with_banners(chunks: list[str]) -> list[Stanza]:
    """Chunks cut at column-0 lines, with each banner's text lines put back into its stanza."""
    out: list[Stanza] = []
    done: Callable[[str], bool] | None = None
    for chunk in chunks:
        if done is not None:
            out[-1] += "\n" + chunk
            if any(done(line) for line in chunk.split("\n")):
                done = None
            continue
        out.append(chunk)
        if _opens_banner(_first_line(chunk)):
            done = _banner_end(_first_line(chunk))
            if any(done(line) for line in chunk.split("\n")[1:]):
                done = None
    return out


def stanzas(text: str) -> list[Stanza]:
    """The top-level statements of ``text``, each with its nested lines (or banner text)."""
    body = text[:-1] if text.endswith("\n") else text
    if not body:
        return []
    chunks = _TOP.split(body)
    if "\n" + _BANNER in "\n" + body:
        return _with_banners(chunks)
    return chunks


def _key(stanza: Stanza) -> str:
    first = _first_line(stanza)
    return stanza if _opens_banner(first) else first.strip()


def header(stanza: Stanza) -> str:
    """What identifies a stanza: its first line (a banner: its whole text)."""
    return _key(stanza)


@dataclass
class _Line:
    """One line of a merged stanza and the lines nested under it."""

    raw: str
    block: int = 0
    children: list[_Line] = field(default_factory=list)
    index: dict[str, _Line] = field(default_factory=dict)

    def add(self, raw: str, block: int) -> _Line:
        """The child for ``raw`` from the ``block``-th copy of the section: the same line from an
        earlier copy when there is one (a line repeated within one copy stays as it is)."""
        key = raw.strip()
        found = self.index.get(key)
        if found is None or found.block == block:
            found = _Line(raw, block)
            self.children.append(found)
            self.index[key] = found
        return found

    def render(self, out: list[str]) -> None:
        out.append(self.raw)
        for child in self.children:
            child.render(out)


def _level(raw: str) -> int:
    return len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())


def _merge_into(top: _Line, body: Iterable[str], block: int) -> None:
    """Nest ``body`` (the lines under the ``block``-th copy of a header) under ``top``."""
    stack: list[tuple[int, _Line]] = [(-1, top)]
    for raw in body:
        if not raw.strip():
            continue
        level = _level(raw)
        while len(stack) > 1 and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, stack[-1][1].add(raw, block)))


def _merge_group(group: list[Stanza]) -> Stanza:
    top = _Line(_first_line(group[0]))
    for block, stanza in enumerate(group):
        _merge_into(top, stanza.split("\n")[1:], block)
    lines: list[str] = []
    top.render(lines)
    return "\n".join(lines)


def merge_stanzas(parts: list[Stanza]) -> list[Stanza]:
    """Stanzas with a repeated header merged into the first one, in order; an identical line
    from another copy under the same parent kept once. Banners are kept whole (a repeated
    identical one once)."""
    groups: dict[str, list[Stanza]] = {}
    for stanza in parts:
        groups.setdefault(_key(stanza), []).append(stanza)
    return [
        group[0] if len(group) == 1 or is_banner(group[0]) else _merge_group(group)
        for group in groups.values()
    ]


def _unique(parts: list[Stanza]) -> bool:
    return len({_key(p) for p in parts}) == len(parts)


def merge_duplicate_sections(lines: list[str], profile: Profile) -> list[str]:
    """Canonicalizer: a section written twice (``interface Gi1/0/1``, an ACL name) becomes one,
    as on the device: the later block's lines follow the first's, a line both hold is kept once."""
    parts = stanzas("\n".join(lines))
    if _unique(parts):
        return lines
    return "\n".join(merge_stanzas(parts)).split("\n")


def join(parts: Iterable[Stanza]) -> str:
    """Stanzas back to configuration text."""
    text = "\n".join(parts)
    return text + "\n" if text else ""


def merged_stanzas(text: str) -> list[Stanza]:
    """The stanzas of ``text`` with repeated sections merged (see ``merge_stanzas``)."""
    parts = stanzas(text)
    return parts if _unique(parts) else merge_stanzas(parts)


def differing(
    ours: list[Stanza], theirs: list[Stanza], keep: frozenset[str] = frozenset()
) -> tuple[list[Stanza], list[Stanza]]:
    """The stanzas of each side that the other side lacks or holds differently (and those whose
    header is in ``keep``).

    Both sides must be merged (one stanza per header). A stanza found unchanged on the other side
    holds no difference, so comparisons, remediation and patches can leave it out.
    """
    other = {_key(p): p for p in theirs}
    same = {key for p in ours if other.get(key := _key(p)) == p and key not in keep}
    if not same:
        return ours, theirs
    return [p for p in ours if _key(p) not in same], [p for p in theirs if _key(p) not in same]
