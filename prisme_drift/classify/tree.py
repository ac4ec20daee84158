"""Configuration text as a tree of lines.

hier_config parses the platforms it knows (banners, IOS quirks); an indentation parser serves the
others. Either way the rest of the engine sees the same plain ``Node`` tree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from prisme_drift.errors import ClassifyError
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)


@dataclass
class Node:
    """One configuration line and the lines nested under it."""

    text: str
    children: list[Node] = field(default_factory=list)

    def lines(self, depth: int = 0) -> list[str]:
        """The subtree as indented text lines (one space per level)."""
        out = [" " * depth + part for part in self.text.split("\n")]
        for child in self.children:
            out.extend(child.lines(depth + 1))
        return out


def _from_hier_config(text: str, platform_name: str) -> Node:
    from hier_config import Platform, get_hconfig

    try:
        platform = Platform[platform_name]
    except KeyError:
        raise ClassifyError(f"hier_config knows no platform {platform_name!r}") from None
    root = get_hconfig(platform, text)

    def convert(hnode: object) -> Node:
        children = getattr(hnode, "children", ())
        return Node(str(getattr(hnode, "text", "")), [convert(c) for c in children])

    return Node("", [convert(child) for child in root.children])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _from_indentation(text: str, end_marker: str | None = None) -> Node:
    root = Node("")
    lines = text.splitlines()
    if end_marker and lines and re.search(end_marker, lines[-1]):
        lines.pop()  # the end marker is framing, not configuration (hier_config drops it too)
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in lines:
        if not raw.strip():
            continue
        level = _indent(raw.expandtabs(4))
        node = Node(raw.strip())
        while stack[-1][0] >= level:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((level, node))
    return root


def _parse_indentation(text: str, profile: Profile) -> Node:
    try:
        return _from_indentation(text, profile.guard.end_marker)
    except Exception as exc:
        raise ClassifyError(f"cannot parse {profile.name} configuration: {exc}") from exc


def parse_many(texts: list[str], profile: Profile) -> list[Node]:
    """Parse configurations that will be compared, all with the same parser.

    hier_config refuses some real configurations (duplicate sections); then every text of the
    comparison goes through the indentation parser, so parser differences never show as drift.
    """
    if profile.hier_config_platform:
        try:
            return [_from_hier_config(t, profile.hier_config_platform) for t in texts]
        except Exception as exc:
            log.warning(
                "%s: hier_config cannot parse this configuration (%s); "
                "using the indentation parser",
                profile.name,
                exc,
            )
    return [_parse_indentation(t, profile) for t in texts]


def parse(text: str, profile: Profile) -> Node:
    """Parse one normalized configuration into a tree (root text is empty)."""
    return parse_many([text], profile)[0]
