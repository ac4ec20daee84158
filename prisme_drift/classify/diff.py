"""Hunk diff of two configuration trees, and deepdiff of structured facts.

A hunk groups the changed lines that share a place (the unchanged lines above them) and a
category, so one VLAN added is one hunk, and a port moved to another VLAN while its description
changed is two (``vlan`` and ``interface``), each authorized or not on its own.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from prisme_drift.classify.categories import categorize
from prisme_drift.classify.tree import Node, parse_compared
from prisme_drift.models import Category, Hunk, Snapshot
from prisme_drift.profiles import Profile

# Facts whose change means the device itself changed (swapped, upgraded). Uptime is not one.
DEVICE_FACTS = ("vendor", "model", "serial_number", "os_version")


@dataclass(frozen=True)
class _Change:
    context: tuple[str, ...]
    sign: str  # "-" or "+"
    line: str
    category: Category


def _subtree_changes(
    node: Node,
    context: tuple[str, ...],
    sign: str,
    profile: Profile,
    ancestors: tuple[str, ...] | None = None,
) -> list[_Change]:
    """Every line of an added/removed subtree; lines of another category get their own context.

    A synthetic group (a JunOS policy, a RouterOS menu) has no line of its own: its lines are
    reported at the place the group was added or removed.
    """
    ancestors = context if ancestors is None else ancestors
    if node.synthetic:
        chain = (*ancestors, node.text)
        return [
            change
            for child in node.children
            for change in _subtree_changes(child, context, sign, profile, chain)
        ]
    root = _Change(context, sign, node.text, categorize(node.text, ancestors, profile))
    changes = [root]
    _nested_changes(node, (*ancestors, node.text), 1, root, profile, changes)
    return changes


def _nested_changes(
    parent: Node,
    chain: tuple[str, ...],
    depth: int,
    root: _Change,
    profile: Profile,
    out: list[_Change],
) -> None:
    """Lines under an added/removed line: indented in its hunk, or in their own category's."""
    for child in parent.children:
        category = categorize(child.text, chain, profile)
        if category == root.category:
            out.append(_Change(root.context, root.sign, " " * depth + child.text, category))
        else:
            out.append(_Change(chain, root.sign, child.text, category))
        _nested_changes(child, (*chain, child.text), depth + 1, root, profile, out)


def _ordered(node: Node, profile: Profile) -> bool:
    text = node.match_text
    return bool(text) and profile.ordered(text)


def _diff_ordered(a: Node, b: Node, context: tuple[str, ...], profile: Profile) -> list[_Change]:
    """Children whose order is meaningful (ACL entries): a sequence diff, moves included."""
    a_text = [c.text for c in a.children]
    b_text = [c.text for c in b.children]
    out: list[_Change] = []
    matcher = difflib.SequenceMatcher(a=a_text, b=b_text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for x, y in zip(a.children[i1:i2], b.children[j1:j2], strict=True):
                out.extend(_diff_nodes(x, y, (*context, x.text), profile))
            continue
        for node in a.children[i1:i2]:
            out.extend(_subtree_changes(node, context, "-", profile))
        for node in b.children[j1:j2]:
            out.extend(_subtree_changes(node, context, "+", profile))
    return out


def _diff_nodes(a: Node, b: Node, context: tuple[str, ...], profile: Profile) -> list[_Change]:
    """Changes that turn ``a``'s children into ``b``'s; order-free unless the profile says not."""
    if _ordered(a, profile):
        return _diff_ordered(a, b, context, profile)
    a_count = Counter(c.text for c in a.children)
    b_count = Counter(c.text for c in b.children)
    b_index: dict[str, list[Node]] = {}
    for child in b.children:
        b_index.setdefault(child.text, []).append(child)
    out: list[_Change] = []
    seen: Counter[str] = Counter()
    for child in a.children:
        seen[child.text] += 1
        if seen[child.text] > b_count[child.text]:
            out.extend(_subtree_changes(child, context, "-", profile))
        else:
            twin = b_index[child.text][seen[child.text] - 1]
            out.extend(_diff_nodes(child, twin, (*context, child.text), profile))
    seen.clear()
    for child in b.children:
        seen[child.text] += 1
        if seen[child.text] > a_count[child.text]:
            out.extend(_subtree_changes(child, context, "+", profile))
    return out


def _group(changes: list[_Change]) -> list[Hunk]:
    groups: dict[tuple[tuple[str, ...], Category], tuple[list[str], list[str]]] = {}
    for change in changes:
        removed, added = groups.setdefault((change.context, change.category), ([], []))
        (removed if change.sign == "-" else added).append(change.line)
    return [
        Hunk(category=cat, path=ctx, removed=tuple(rem), added=tuple(add))
        for (ctx, cat), (rem, add) in groups.items()
    ]


def diff_configs(approved: str, observed: str, profile: Profile) -> list[Hunk]:
    """Categorized hunks that turn the approved configuration into the observed one."""
    if approved == observed:
        return []
    old, new = parse_compared(approved, observed, profile)
    changes = _diff_nodes(old, new, (), profile)
    return _group(changes)


def _fact_text(key: str, value: Any) -> str:
    return f"{key}: {value}"


def diff_facts(approved: dict[str, Any], observed: dict[str, Any]) -> list[Hunk]:
    """A ``device`` hunk when the serial, model, vendor or OS version changed.

    Only facts known on both sides are compared: a fact the device could not give (or gave for
    the first time) is unknown, not changed.
    """
    known = [k for k in DEVICE_FACTS if k in approved and k in observed]
    before = {k: approved[k] for k in known}
    after = {k: observed[k] for k in known}
    if before == after:  # equal: no DeepDiff
        return []
    from deepdiff import DeepDiff  # 0.2 s to import: only the commands that compare facts

    if not DeepDiff(before, after, ignore_order=True):
        return []
    keys = [k for k in known if before[k] != after[k]]
    removed = tuple(_fact_text(k, before[k]) for k in keys)
    added = tuple(_fact_text(k, after[k]) for k in keys)
    return [Hunk(category=Category.DEVICE, path=("facts",), removed=removed, added=added)]


def diff_snapshots(approved: Snapshot, observed: Snapshot, profile: Profile) -> list[Hunk]:
    """Config hunks plus the device-facts hunk."""
    return diff_configs(approved.config, observed.config, profile) + diff_facts(
        approved.facts, observed.facts
    )
