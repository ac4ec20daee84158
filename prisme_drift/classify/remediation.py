"""Remediation hints: the commands that would bring a device back to its approved configuration.

One method per ``remediation`` name in the profile: ``hier_config`` where it has a driver (IOS,
NX-OS, EOS, ProCurve, and a generic ``no`` negation for IOS-like CLIs), ``edit_blocks`` (FortiOS
``config`` / ``edit`` / ``unset`` / ``delete`` / ``move`` from our block trees), ``set_delete``
(JunOS ``delete`` / ``set`` / ``insert``), ``menu_entries`` (RouterOS ``remove [find ...]`` /
``add``). Shown in alerts and reports, never applied
(the daemon never writes to devices).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from prisme_drift.classify.dialects import block_rule, render
from prisme_drift.classify.hier import load
from prisme_drift.classify.node import Node
from prisme_drift.classify.remediation_blocks import edit_blocks_remediation
from prisme_drift.classify.remediation_flat import menu_entries_remediation, set_delete_remediation
from prisme_drift.classify.tree import compared_parts, parse_many
from prisme_drift.models import Hunk
from prisme_drift.normalize.sections import join
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)

TreeRemediation = Callable[[Node, Node, Profile], list[str]]

_TREE_METHODS: dict[str, TreeRemediation] = {
    "edit_blocks": edit_blocks_remediation,
    "set_delete": set_delete_remediation,
    "menu_entries": menu_entries_remediation,
}


def _hier_text(text: str, profile: Profile) -> str:
    """hier_config reads indentation: keyword blocks are rendered indented, without their ends."""
    if not profile.blocks:
        return text
    tree = parse_many([text], profile)[0]
    return render(tree, profile, ends=False)


def _close_blocks(lines: list[str], profile: Profile) -> list[str]:
    """Put the block end keyword back after each top-level keyword block (EdgeSwitch ``exit``)."""
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        if not line.startswith(" ") and pending:
            out.append(pending)
            pending = None
        out.append(line)
        if not line.startswith(" "):
            rule = block_rule(line, profile)
            pending = rule.end if rule else None
    if pending:
        out.append(pending)
    return out


def _hier_config(approved: str, observed: str, profile: Profile) -> list[str]:
    platform = profile.hier_config_platform or ""
    # sections written twice are merged as on the device (hier_config refuses them); sections
    # both sides hold alike need no command and are left out where that is safe
    wanted_parts, running_parts = compared_parts(
        _hier_text(approved, profile), _hier_text(observed, profile), profile
    )
    running = load(platform, join(running_parts))
    wanted = load(platform, join(wanted_parts))
    remediation = running.config_to_get_to(wanted)
    lines = [str(child.cisco_style_text()) for child in remediation.all_children_sorted()]
    return _close_blocks(lines, profile) if profile.blocks else lines


def _compute(approved: str, observed: str, profile: Profile) -> list[str]:
    method = profile.remediator
    if method == "none":
        return []
    if method == "hier_config":
        return _hier_config(approved, observed, profile)
    wanted, running = parse_many([approved, observed], profile)
    return _TREE_METHODS[method](wanted, running, profile)


def remediation_lines(approved: str, observed: str, profile: Profile) -> list[str]:
    """Commands, in the platform's syntax, that turn observed back into approved; [] if unknown."""
    if approved == observed:
        return []
    try:
        return _compute(approved, observed, profile)
    except Exception:  # a hint is optional: never let it break a poll
        log.warning("%s: remediation could not be computed", profile.name, exc_info=True)
        return []


def _section_key(line: str, verbs: tuple[str, ...]) -> str:
    """The line without the profile's remediation verb it starts with (``no vlan 40``)."""
    text = line.strip()
    for verb in verbs:
        if text.startswith(verb + " "):
            return text[len(verb) + 1 :]
    return text


def _blocks(lines: list[str], closers: tuple[str, ...]) -> list[list[str]]:
    """Remediation text cut into top-level statements with their nested and closing lines."""
    blocks: list[list[str]] = []
    for line in lines:
        top = not line.startswith((" ", "\t"))
        if (top and line.strip() not in closers) or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def _anchors(hunk: Hunk, verbs: tuple[str, ...]) -> list[str]:
    if hunk.path:
        return [hunk.path[0]]
    lines = (*hunk.removed, *hunk.added)
    return [_section_key(line, verbs) for line in lines if not line.startswith(" ")]


@dataclass(frozen=True)
class _Index:
    """Remediation blocks by their section key, and by every leading run of its words."""

    blocks: list[list[str]]
    by_key: dict[str, list[int]]
    by_prefix: dict[str, list[int]]


@lru_cache(maxsize=4)
def _index(lines: tuple[str, ...], verbs: tuple[str, ...], closers: tuple[str, ...]) -> _Index:
    blocks = _blocks(list(lines), closers)
    by_key: dict[str, list[int]] = {}
    by_prefix: dict[str, list[int]] = {}
    for number, block in enumerate(blocks):
        key = _section_key(block[0], verbs)
        by_key.setdefault(key, []).append(number)
        words = key.split(" ")
        for size in range(1, len(words)):
            by_prefix.setdefault(" ".join(words[:size]), []).append(number)
    return _Index(blocks, by_key, by_prefix)


def remediation_for(hunk: Hunk, lines: list[str], profile: Profile) -> list[str]:
    """The part of a device's remediation that concerns one hunk's place in the configuration.

    A block belongs to the hunk when its first line (the profile's ``remediation_verbs`` aside)
    is the hunk's top-level section, one of its top-level lines, or, on flat dialects, starts
    with the hunk's group; a top-level line among ``remediation_closers`` ends the block above
    it. The blocks are indexed once per remediation, so a poll with many hunks stays linear.
    """
    if not lines:
        return []
    verbs = profile.remediation_verbs
    index = _index(tuple(lines), verbs, profile.remediation_closers)
    anchors = _anchors(hunk, verbs)
    prefixes = {re.sub(r"\s+", " ", a) for a in anchors} if hunk.path else set()
    found = {n for anchor in anchors for n in index.by_key.get(anchor, ())}
    found.update(n for prefix in prefixes if prefix for n in index.by_prefix.get(prefix, ()))
    return [line for n in sorted(found) for line in index.blocks[n]]
