"""Apply accepted hunks to an approved configuration tree (approved moves forward by them).

For every platform, ``apply_hunks(approved, observed, all_hunks)`` renders a configuration
with no diff against ``observed``; applying one hunk makes that hunk, and only what shares its
ordered section, disappear from the diff.
"""

from __future__ import annotations

from prisme_drift.classify.dialects import new_node, render
from prisme_drift.classify.node import Node, in_ordered_section
from prisme_drift.classify.tree import parse_many, sections_independent
from prisme_drift.models import Category, Hunk, Snapshot
from prisme_drift.normalize.sections import differing, header, join, merged_stanzas
from prisme_drift.profiles import Profile

__all__ = ["apply_hunks", "render"]


def _subtrees(lines: tuple[str, ...], profile: Profile) -> list[Node]:
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    for line in lines:
        depth = len(line) - len(line.lstrip(" "))
        node = new_node(line.strip(), profile)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((depth, node))
    return roots


def _candidates(node: Node, path: tuple[str, ...]) -> list[Node]:
    """Every node at ``path`` (a path may repeat: FortiOS writes ``config vdom`` twice)."""
    if not path:
        return [node]
    return [
        found
        for child in node.children
        if child.text == path[0]
        for found in _candidates(child, path[1:])
    ]


def _size(node: Node) -> int:
    return 1 + sum(_size(child) for child in node.children)


def _find(node: Node, path: tuple[str, ...], profile: Profile, create: bool) -> Node | None:
    """The node at ``path`` (the fullest one when it repeats), created if asked."""
    found = _candidates(node, path)
    if found or not create:
        return max(found, key=_size) if found else None
    cut = next(i for i in range(len(path), -1, -1) if _candidates(node, path[:i]))
    parent = max(_candidates(node, path[:cut]), key=_size)
    for text in path[cut:]:
        child = new_node(text, profile, parent=parent)
        parent.children.append(child)
        parent = child
    return parent


def _remove(target: Node, gone: Node) -> bool:
    """Remove the first child with ``gone``'s text, looking inside synthetic groups too."""
    for child in target.children:
        if child.text == gone.text and child.synthetic == gone.synthetic:
            target.children.remove(child)
            return True
    return any(_remove(child, gone) for child in target.children if child.synthetic)


def _merge(target: Node, new: Node) -> None:
    existing = next((c for c in target.children if c.text == new.text), None)
    if existing is None:
        target.children.append(new)
        return
    for child in new.children:
        _merge(existing, child)


def _take_sequence(target: Node, source: Node | None) -> None:
    """An ordered section takes observed's sequence; entries it shares keep their own content."""
    if source is None:
        target.children = []
        return
    pool: dict[str, list[Node]] = {}
    for child in target.children:
        pool.setdefault(child.text, []).append(child)
    target.children = [
        pool[child.text].pop(0) if pool.get(child.text) else child for child in source.children
    ]


def _apply(tree: Node, seen: Node, hunks: list[Hunk], profile: Profile) -> None:
    for hunk in hunks:
        target = _find(tree, hunk.path, profile, create=True)
        if target is None:
            continue
        if hunk.path and in_ordered_section(target, profile):
            _take_sequence(target, _find(seen, hunk.path, profile, create=False))
            continue
        for gone in _subtrees(hunk.removed, profile):
            _remove(target, gone)
        for new in _subtrees(hunk.added, profile):
            _merge(target, new)


def _first_line(text: str) -> str:
    return " ".join(text.split("\n", 1)[0].split())


def _places(hunks: list[Hunk]) -> frozenset[str]:
    """The top-level lines the hunks touch (their section, or their own top-level lines)."""
    places = {hunk.path[0] for hunk in hunks if hunk.path}
    places.update(
        line
        for hunk in hunks
        if not hunk.path
        for line in (*hunk.removed, *hunk.added)
        if not line.startswith(" ")
    )
    return frozenset(places)


def _apply_to_sections(approved: str, observed: str, hunks: list[Hunk], profile: Profile) -> str:
    """Only the sections that differ are parsed and patched; the others are kept as they are.

    Each patched section goes back where it was; a removed one goes; a new one goes at the end.
    """
    ours = merged_stanzas(approved)
    changed, theirs = differing(ours, merged_stanzas(observed), _places(hunks))
    tree, seen = parse_many([join(changed), join(theirs)], profile)
    _apply(tree, seen, hunks, profile)
    patched: dict[str, list[str]] = {}
    for node in tree.children:
        patched.setdefault(_first_line(node.text), []).append(render(Node("", [node]), profile))
    kept = {header(stanza) for stanza in changed}
    out: list[str] = []
    for stanza in ours:
        if header(stanza) not in kept:
            out.append(join([stanza]))
        elif patched.get(_first_line(stanza)):
            out.append(patched[_first_line(stanza)].pop(0))
    out.extend(text for texts in patched.values() for text in texts)
    return "".join(out)


def apply_hunks(approved: str, observed: str, hunks: list[Hunk], profile: Profile) -> str:
    """The approved text with ``hunks`` applied; sections whose order matters follow observed."""
    if profile.tree_parser == "hier_config" and sections_independent(profile):
        return _apply_to_sections(approved, observed, hunks, profile)
    tree, seen = parse_many([approved, observed], profile)
    _apply(tree, seen, hunks, profile)
    return render(tree, profile)


def advance(
    approved: Snapshot, observed: Snapshot, hunks: list[Hunk], everything: bool, profile: Profile
) -> Snapshot:
    """Approved moved forward by ``hunks``; exactly the observed state when they are all there is.

    The ``device`` hunk moves the facts; the others move the configuration text, which is left
    as it was when no configuration hunk is accepted.
    """
    if everything:
        return observed
    config_hunks = [h for h in hunks if h.category != Category.DEVICE]
    config = (
        apply_hunks(approved.config, observed.config, config_hunks, profile)
        if config_hunks
        else approved.config
    )
    facts = observed.facts if len(config_hunks) < len(hunks) else approved.facts
    return Snapshot(approved.device, approved.platform, config, dict(facts))
