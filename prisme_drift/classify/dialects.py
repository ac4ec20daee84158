"""Parsers and renderers: configuration text <-> ``Node`` tree, one pair per ``parser`` name.

- ``hier_config``: hier_config's parser, for the platforms it knows well (IOS, NX-OS, EOS);
- ``indent``: indentation, plus blocks whose body is not indented but closed by a keyword
  (FortiOS ``config``/``edit`` ... ``next``/``end``, EdgeSwitch ``interface 0/1`` ... ``exit``);
- ``flat``: one statement per line (JunOS ``display set``, RouterOS ``export terse``), grouped
  under synthetic nodes by the profile's ``flat_groups`` patterns so that hunks, order and
  remediation follow the objects the lines describe.

Several-command fetches (Linux) are split on the collector's section headers first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from prisme_drift.classify.hier import load
from prisme_drift.classify.node import Node
from prisme_drift.profiles import Profile
from prisme_drift.profiles.rules import BlockRule

Parser = Callable[[str, Profile], Node]
_QUOTE = re.compile(r'(?<!\\)"')
# hier_config numbers ACL entries itself; the stored text and the diff do without (see
# ``strip_sequence_numbers``): an inserted rule is then one added line, not a renumbering
_SEQUENCE = re.compile(r"^\d+\s+(?=\S)")
_MAX_QUOTED_LINES = 2000


# -- hier_config ----------------------------------------------------------------------------
def parse_hier_config(text: str, profile: Profile) -> Node:
    """hier_config's own parse (it knows banners and IOS quirks)."""
    root = load(profile.hier_config_platform or "", text)

    def convert(hnode: object, sequenced: bool) -> Node:
        """hier_config child -> Node; entry numbers dropped under numbered sections."""
        text = str(getattr(hnode, "text", ""))
        if sequenced:
            text = _SEQUENCE.sub("", text)
        numbered = any(profile.pattern(p).search(text) for p in profile.sequenced_sections)
        return Node(text, [convert(c, numbered) for c in getattr(hnode, "children", ())])

    return Node("", [convert(child, False) for child in root.children])


# -- indentation and keyword blocks ---------------------------------------------------------
def block_rule(text: str, profile: Profile) -> BlockRule | None:
    """The block ``text`` opens, if any."""
    return next((b for b in profile.blocks if profile.pattern(b.opener).search(text)), None)


def _odd_quotes(text: str) -> bool:
    return len(_QUOTE.findall(text)) % 2 == 1


def _join_quoted(lines: list[str]) -> list[str]:
    """A quoted value spanning lines (FortiOS certificates, messages) becomes one logical line."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _odd_quotes(line):
            stop = next(
                (
                    j
                    for j in range(i + 1, min(len(lines), i + _MAX_QUOTED_LINES))
                    if _odd_quotes(lines[j])
                ),
                None,
            )
            if stop is not None:
                parts = [line.rstrip(), *(part.strip() for part in lines[i + 1 : stop + 1])]
                out.append("\n".join(parts))
                i = stop + 1
                continue
        out.append(line)
        i += 1
    return out


@dataclass
class _Frame:
    level: int
    node: Node
    block: bool  # closed only by its end keyword (its body may sit at its own level)


def _close(stack: list[_Frame], end: str) -> None:
    """Pop up to and including the innermost open block that ``end`` closes."""
    for depth in range(len(stack) - 1, 0, -1):
        if stack[depth].node.end == end:
            del stack[depth:]
            return


def _framing_end(lines: list[str], profile: Profile) -> list[str]:
    """The end marker is framing, not configuration (hier_config drops it too)."""
    ends = {b.end for b in profile.blocks}
    marker = profile.guard.end_marker
    if marker and lines and re.search(marker, lines[-1]) and lines[-1].strip() not in ends:
        return lines[:-1]
    return lines


def parse_indent(text: str, profile: Profile) -> Node:
    """Indentation nests lines; ``blocks`` rules nest the lines up to their end keyword."""
    lines = _framing_end(text.splitlines(), profile)
    if profile.quoted_multiline:
        lines = _join_quoted(lines)
    ends = {b.end for b in profile.blocks}
    root = Node("")
    stack = [_Frame(-1, root, block=False)]
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped in ends:
            _close(stack, stripped)
            continue
        level = len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())
        while not stack[-1].block and stack[-1].level >= level:
            stack.pop()
        rule = block_rule(stripped, profile)
        node = Node(stripped, end=rule.end if rule else None)
        stack[-1].node.children.append(node)
        stack.append(_Frame(level, node, block=rule is not None and not rule.indented))
    return root


# -- flat statements grouped by object ------------------------------------------------------
def group_chain(line: str, profile: Profile) -> list[tuple[str, str]]:
    """The groups a flat line belongs to, outermost first, as (full text, node text).

    A group nested in another (same start, longer) is named by what it adds:
    ``security policies from-zone a to-zone b`` then ``policy allow-out``.
    """
    spans: set[tuple[int, int]] = set()
    for pattern in profile.flat_groups:
        match = profile.pattern(pattern).search(line)
        if match and match.group("group"):
            spans.add(match.span("group"))
    chain: list[tuple[str, str]] = []
    previous: tuple[int, int] | None = None
    for start, end in sorted(spans, key=lambda span: (span[1], span[0])):
        full = line[start:end]
        nested = previous is not None and previous[0] == start and previous[1] < end
        text = line[previous[1] : end].strip() if nested and previous else full
        chain.append((full, text))
        previous = (start, end)
    return chain


def parse_flat(text: str, profile: Profile) -> Node:
    """Every line is a leaf; lines of one object sit under the same synthetic group nodes."""
    root = Node("")
    groups: dict[tuple[str, ...], Node] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parent = root
        key: tuple[str, ...] = ()
        for full, name in group_chain(line, profile):
            key = (*key, name)
            node = groups.get(key)
            if node is None:
                node = Node(name, synthetic=True, key=full)
                parent.children.append(node)
                groups[key] = node
            parent = node
        parent.children.append(Node(line))
    return root


# -- several commands -----------------------------------------------------------------------
def _split_sections(text: str, headers: frozenset[str]) -> list[tuple[str | None, str]]:
    parts: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines():
        if line.strip() in headers:
            parts.append((line.strip(), []))
        else:
            parts[-1][1].append(line)
    return [(header, "\n".join(body) + "\n") for header, body in parts if header or body]


PARSERS: dict[str, Parser] = {
    "hier_config": parse_hier_config,
    "indent": parse_indent,
    "flat": parse_flat,
}


def parse_with(name: str, text: str, profile: Profile) -> Node:
    """Parse ``text`` with the named parser, command section by command section."""
    parser = PARSERS[name]
    headers = profile.section_headers()
    if not headers:
        return parser(text, profile)
    root = Node("")
    for header, body in _split_sections(text, headers):
        tree = parser(body, profile)
        if header is None:
            root.children.extend(tree.children)
        else:
            root.children.append(Node(header, tree.children))
    return root


# -- rendering ------------------------------------------------------------------------------
def _render_nodes(nodes: list[Node], profile: Profile, *, ends: bool) -> list[str]:
    if profile.tree_parser == "flat":
        return [leaf.text for node in nodes for leaf in node.leaves()]
    unit = " " * max(profile.render_indent, 1)
    return [line for node in nodes for line in node.lines(0, unit, ends)]


def render(tree: Node, profile: Profile, *, ends: bool = True) -> str:
    """Text of a tree in the platform's layout; parsing it again gives the same tree."""
    headers = profile.section_headers()
    lines: list[str] = []
    for node in tree.children:
        if node.text in headers:
            lines.append(node.text)
            lines.extend(_render_nodes(node.children, profile, ends=ends))
        else:
            lines.extend(_render_nodes([node], profile, ends=ends))
    return "\n".join(lines) + "\n"


def new_node(text: str, profile: Profile, *, parent: Node | None = None) -> Node:
    """A node for a line added by a patch: under ``parent``, a group on flat dialects; else a
    block where one opens."""
    if parent is not None and profile.tree_parser == "flat":
        key = f"{parent.key} {text}" if parent.key else text
        return Node(text, synthetic=True, key=key)
    rule = block_rule(text, profile)
    return Node(text, end=rule.end if rule else None)
