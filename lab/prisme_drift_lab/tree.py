"""An indentation tree for "indented" config dialects (IOS and its look-alikes, FortiOS).

A line indented more than the previous one is its child. A node may carry several physical
lines (an IOS banner): the parser asks a hook whether a line opens such a verbatim block and
what closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

#: Given a line, the delimiter that ends the verbatim block it opens, or None.
VerbatimHook = Callable[[str], str | None]


@dataclass
class Node:
    """One config line and the lines nested under it."""

    text: str
    children: list[Node] = field(default_factory=list)

    def find(self, text: str) -> Node | None:
        """The direct child whose text is exactly ``text``."""
        return next((c for c in self.children if c.text == text), None)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _verbatim(first: str, closing: str, rest: Iterator[str]) -> str:
    """The physical lines of a verbatim block, from its opening line to the closing one."""
    opener_tail = first.split(closing, 1)[1] if closing in first else ""
    if closing in opener_tail:
        return first
    lines = [first]
    for line in rest:
        lines.append(line)
        if closing in line:
            break
    return "\n".join(lines)


def parse(text: str, verbatim: VerbatimHook | None = None) -> list[Node]:
    """Parse config text into top-level nodes (blank lines are dropped)."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    lines = iter(text.replace("\r\n", "\n").split("\n"))
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            continue
        depth = _indent(line)
        body = line.strip()
        closing = verbatim(body) if verbatim else None
        if closing is not None:
            body = _verbatim(body, closing, lines)
        while stack[-1][0] >= depth:
            stack.pop()
        node = Node(body)
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    return root.children


#: Given a node, the line that closes its block (FortiOS ``end``/``next``), or None.
CloserHook = Callable[[Node], str | None]


def render_lines(
    nodes: Iterable[Node], depth: int = 0, indent: int = 1, closer: CloserHook | None = None
) -> Iterator[str]:
    """The physical lines of ``nodes``, children indented by ``indent`` spaces per level."""
    pad = " " * (indent * depth)
    for node in nodes:
        yield pad + node.text
        yield from render_lines(node.children, depth + 1, indent, closer)
        closing = closer(node) if closer else None
        if closing is not None:
            yield pad + closing


def render(nodes: Iterable[Node], indent: int = 1, closer: CloserHook | None = None) -> str:
    """Config text for ``nodes``, newline-terminated."""
    return "".join(line + "\n" for line in render_lines(nodes, 0, indent, closer))


def prune(nodes: list[Node], drop: Callable[[Node], bool]) -> list[Node]:
    """``nodes`` without the nodes (and their children) for which ``drop`` is true, in place."""
    nodes[:] = [n for n in nodes if not drop(n)]
    for node in nodes:
        prune(node.children, drop)
    return nodes
