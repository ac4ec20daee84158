"""The plain tree every parser produces and the rest of the engine reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from prisme_drift.profiles import Profile
from prisme_drift.profiles.regex import compiled


@dataclass
class Node:
    """One configuration line and the lines nested under it.

    ``end`` is the line that closes the block on the device (FortiOS ``next``/``end``,
    EdgeSwitch ``exit``); it is framing, not configuration, so it is never compared.
    A ``synthetic`` node is a grouping made by the parser (the JunOS policy a set of ``set``
    lines belongs to, a RouterOS menu path): it has no line of its own in the text. Its ``text``
    is what it adds to its parent group (``policy allow-out``), its ``key`` the whole statement
    path (``security policies from-zone trust to-zone untrust policy allow-out``).
    """

    text: str
    children: list[Node] = field(default_factory=list)
    end: str | None = None
    synthetic: bool = False
    key: str = ""

    @property
    def match_text(self) -> str:
        """What section patterns (ordered sections) are matched against."""
        return self.key or self.text

    def lines(self, depth: int = 0, unit: str = " ", ends: bool = True) -> list[str]:
        """The subtree as indented text lines (``unit`` per level), block ends included."""
        if self.synthetic:
            return [line for child in self.children for line in child.lines(depth, unit, ends)]
        pad = unit * depth
        out = [pad + part for part in self.text.split("\n")]
        for child in self.children:
            out.extend(child.lines(depth + 1, unit, ends))
        if ends and self.end:
            out.append(pad + self.end)
        return out

    def leaves(self) -> list[Node]:
        """Every real line of the subtree, in order (for flat, set-style dialects)."""
        own = [] if self.synthetic else [self]
        return own + [leaf for child in self.children for leaf in child.leaves()]


def in_ordered_section(node: Node, profile: Profile) -> bool:
    """Whether ``node`` opens a section whose entries' order is meaningful (ACL entries, firewall
    policies): the profile's ``ordered_sections`` patterns, matched against its ``match_text``."""
    text = node.match_text
    return bool(text) and any(compiled(p).search(text) for p in profile.ordered_sections)
