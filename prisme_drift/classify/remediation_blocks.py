"""FortiOS remediation from block trees: ``config``/``edit`` blocks, ``set``/``unset``,
``delete`` for an ``edit`` the device has and approved does not, ``move`` for policy order.

Creations and changes come first, in approved order; deletions last, in reverse order, so that a
policy is deleted before the address or VIP it uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from prisme_drift.classify.node import Node, in_ordered_section
from prisme_drift.classify.sequence import moves, pairs
from prisme_drift.profiles import Profile


def _is_block(node: Node) -> bool:
    return node.end is not None or bool(node.children)


def _key(line: str) -> str:
    words = line.split()
    return words[1] if len(words) > 1 and words[0] == "set" else line


def _empty(like: Node) -> Node:
    return Node(like.text, end=like.end)


def _wrap(node: Node, inner: list[str], pad: str) -> list[str]:
    return [pad + node.text, *inner, pad + (node.end or "end")] if inner else []


class _Writer:
    """Walks approved and observed trees in step and writes FortiOS commands."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.unit = " " * max(profile.render_indent, 1)

    def _leaves(self, want: Node, have: Node, pad: str) -> Iterator[str]:
        want_leaves = [c.text for c in want.children if not _is_block(c)]
        have_leaves = [c.text for c in have.children if not _is_block(c)]
        wanted_keys = {_key(text) for text in want_leaves}
        for text in want_leaves:
            if text not in have_leaves:
                yield pad + text
        for text in have_leaves:
            if text not in want_leaves and _key(text) not in wanted_keys:
                yield f"{pad}unset {_key(text)}"

    def forward(self, want: Node, have: Node, depth: int) -> list[str]:
        """Inside one block: set what approved has, unset what it lacks, create, move."""
        pad = self.unit * depth
        out = list(self._leaves(want, have, pad))
        blocks_w = [c for c in want.children if _is_block(c)]
        blocks_h = [c for c in have.children if _is_block(c)]
        for w, h in pairs(blocks_w, blocks_h):
            if w is not None and h is None:
                out.extend(w.lines(depth, self.unit))
            elif w is not None and h is not None:
                out.extend(_wrap(w, self.forward(w, h, depth + 1), pad))
            elif h is not None and not h.text.startswith("edit "):
                out.extend(_wrap(h, self.forward(_empty(h), h, depth + 1), pad))
        if in_ordered_section(want, self.profile):
            out.extend(self._moves(blocks_w, blocks_h, pad))
        return out

    def deletions(self, want: Node, have: Node, depth: int) -> list[str]:
        """Inside one block: ``delete`` every ``edit`` observed has and approved does not."""
        pad = self.unit * depth
        out: list[str] = []
        for w, h in pairs([c for c in want.children if _is_block(c)], have.children):
            if h is None or not _is_block(h):
                continue
            if w is None and h.text.startswith("edit "):
                out.append(f"{pad}delete {h.text[5:]}")
            else:
                out.extend(_wrap(h, self.deletions(w or _empty(h), h, depth + 1), pad))
        return out

    def _moves(self, want: list[Node], have: list[Node], pad: str) -> list[str]:
        """``move`` commands giving approved's order; new entries start at the end of the list."""
        target = [n.text[5:] for n in want if n.text.startswith("edit ")]
        current = [n.text[5:] for n in have if n.text.startswith("edit ")]
        return [
            f"{pad}move {name} {where} {anchor}" for name, where, anchor in moves(target, current)
        ]


def fortios_remediation(approved: Node, observed: Node, profile: Profile) -> list[str]:
    """FortiOS commands that turn the observed tree back into the approved one."""
    writer = _Writer(profile)
    matched = pairs(approved.children, observed.children)
    out: list[str] = []
    for want, have in matched:
        if want is not None and have is None:
            out.extend(want.lines(0, writer.unit))
        elif want is not None and have is not None:
            out.extend(_wrap(want, writer.forward(want, have, 1), ""))
        elif have is not None:
            out.extend(_wrap(have, writer.forward(_empty(have), have, 1), ""))
    for want, have in reversed(matched):
        if have is not None:
            out.extend(_wrap(have, writer.deletions(want or _empty(have), have, 1), ""))
    return out
