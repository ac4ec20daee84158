"""Apply accepted hunks to an approved configuration tree (approved moves forward by them)."""

from __future__ import annotations

import re

from prisme_drift.classify.tree import Node, parse_many
from prisme_drift.models import Hunk
from prisme_drift.profiles import Profile


def _subtrees(lines: tuple[str, ...]) -> list[Node]:
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    for line in lines:
        depth = len(line) - len(line.lstrip(" "))
        node = Node(line.strip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((depth, node))
    return roots


def _find(node: Node, path: tuple[str, ...], create: bool) -> Node | None:
    for text in path:
        match = next((c for c in node.children if c.text == text), None)
        if match is None:
            if not create:
                return None
            match = Node(text)
            node.children.append(match)
        node = match
    return node


def _merge(target: Node, new: Node) -> None:
    existing = next((c for c in target.children if c.text == new.text), None)
    if existing is None:
        target.children.append(new)
        return
    for child in new.children:
        _merge(existing, child)


def apply_hunks(approved: str, observed: str, hunks: list[Hunk], profile: Profile) -> str:
    """The approved text with ``hunks`` applied; sections whose order matters are copied whole."""
    tree, seen = parse_many([approved, observed], profile)
    for hunk in hunks:
        if hunk.path and any(re.search(p, hunk.path[-1]) for p in profile.ordered_sections):
            source = _find(seen, hunk.path, create=False)
            target = _find(tree, hunk.path, create=True)
            if target is not None:
                target.children = list(source.children) if source else []
            continue
        target = _find(tree, hunk.path, create=True)
        if target is None:
            continue
        for gone in _subtrees(hunk.removed):
            match = next((c for c in target.children if c.text == gone.text), None)
            if match is not None:
                target.children.remove(match)
        for new in _subtrees(hunk.added):
            _merge(target, new)
    return render(tree)


def render(tree: Node) -> str:
    """Text of a tree, one space of indentation per level."""
    lines: list[str] = []
    for child in tree.children:
        lines.extend(child.lines())
    return "\n".join(lines) + "\n"
