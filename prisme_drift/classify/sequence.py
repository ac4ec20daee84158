"""Small helpers the remediation writers share: matching children, and moves that fix an order."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prisme_drift.classify.node import Node

Pair = tuple[Node | None, Node | None]


def pairs(want: list[Node], have: list[Node]) -> list[Pair]:
    """Children matched by text (the n-th twin with the n-th twin): approved order first."""
    pool: dict[str, list[Node]] = {}
    for node in have:
        pool.setdefault(node.text, []).append(node)
    matched: list[Pair] = []
    for node in want:
        twins = pool.get(node.text)
        matched.append((node, twins.pop(0) if twins else None))
    matched.extend((None, node) for twins in pool.values() for node in twins)
    return matched


def _longest_rising(values: list[int]) -> set[int]:
    """Indexes of a longest strictly increasing subsequence of ``values`` (patience sorting)."""
    tails: list[int] = []  # index in values of the smallest tail of each length
    tail_values: list[int] = []
    back: list[int | None] = []
    for i, value in enumerate(values):
        length = bisect_left(tail_values, value)
        back.append(tails[length - 1] if length else None)
        if length == len(tails):
            tails.append(i)
            tail_values.append(value)
        else:
            tails[length] = i
            tail_values[length] = value
    keep: set[int] = set()
    cursor = tails[-1] if tails else None
    while cursor is not None:
        keep.add(cursor)
        cursor = back[cursor]
    return keep


def moves(target: list[str], current: list[str]) -> Iterator[tuple[str, str, str]]:
    """(name, "after" | "before", anchor) moves giving ``target``'s relative order.

    New names start at the end of ``current``, as devices append them. Entries that already sit
    in order (a longest increasing run) stay put, so one misplaced rule is one move. ``current``
    is updated in place; entries absent from ``target`` stay where they are (they will be
    deleted anyway).
    """
    current += [name for name in target if name not in current]
    keep = _longest_rising([current.index(name) for name in target])
    first_kept = target[min(keep)] if keep else ""
    for i, name in enumerate(target):
        if i in keep:
            continue
        current.remove(name)
        if i == 0:
            current.insert(current.index(first_kept), name)
            yield name, "before", first_kept
        else:
            current.insert(current.index(target[i - 1]) + 1, name)
            yield name, "after", target[i - 1]
