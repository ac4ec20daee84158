"""Remediation on flat dialects, from the grouped trees of ``dialects.parse_flat``.

JunOS (``set_delete``): ``delete`` what approved lacks (a whole policy or term at once),
``set`` what it has, ``insert ... before|after ...`` where order matters.
RouterOS (``routeros``): ``remove [find where ...]`` for added entries, the approved ``add`` /
``set`` lines for the others, ``place-before`` / ``move`` where order matters.
"""

from __future__ import annotations

import re

from prisme_drift.classify.node import Node, in_ordered_section
from prisme_drift.classify.sequence import moves, pairs
from prisme_drift.normalize.lists import split_words
from prisme_drift.profiles import Profile

_NEGATE = {"set": "delete", "deactivate": "activate", "protect": "unprotect"}
_SIMPLE_VALUE = re.compile(r'^[\w.:/@+-]+$|^".*"$')
# RouterOS attributes that place an entry rather than describe it
_PLACEMENT = ("place-before",)


# -- JunOS ----------------------------------------------------------------------------------
def _negate(line: str) -> str:
    verb, _, rest = line.partition(" ")
    return f"{_NEGATE.get(verb, 'delete')} {rest}"


class _SetWriter:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.deletes: list[str] = []
        self.sets: list[str] = []
        self.inserts: list[str] = []

    def walk(self, want: Node, have: Node) -> None:
        """Compare two groups' children; recurse into groups both sides have."""
        for w, h in pairs(want.children, have.children):
            if w is not None and h is not None:
                if w.synthetic:
                    self.walk(w, h)
            elif w is not None:
                self.sets.extend(leaf.text for leaf in w.leaves())
            elif h is not None and h.synthetic and h.leaves():
                self.deletes.append(f"delete {h.key}")
            elif h is not None:
                self.deletes.append(_negate(h.text))
        if want.synthetic and in_ordered_section(want, self.profile):
            self._insert(want, have)

    def _insert(self, want: Node, have: Node) -> None:
        target = [c.text for c in want.children if c.synthetic]
        current = [c.text for c in have.children if c.synthetic]
        if not target:
            return
        for name, where, anchor in moves(target, current):
            self.inserts.append(f"insert {want.key} {name} {where} {anchor}")


def set_delete_remediation(approved: Node, observed: Node, profile: Profile) -> list[str]:
    """JunOS ``delete`` / ``set`` / ``insert`` lines that turn observed back into approved."""
    writer = _SetWriter(profile)
    writer.walk(approved, observed)
    return writer.deletes + writer.sets + writer.inserts


# -- RouterOS -------------------------------------------------------------------------------
def _tokens(line: str) -> list[str]:
    return split_words(line) or line.split()


def _attributes(entry: str, path: str) -> dict[str, str]:
    """``add a=b c="d e"`` -> {"a": "b", "c": '"d e"'} (positional words left out)."""
    pairs = (token.partition("=") for token in _tokens(entry[len(path) :]))
    return {name: value for name, sep, value in pairs if sep}


def _shown(value: str) -> str:
    return value if _SIMPLE_VALUE.match(value) else '"' + value.replace('"', '\\"') + '"'


def _find(entry: str, path: str) -> str:
    """``[find where a=b and c="d e"]`` matching an ``add`` entry by its attributes.

    Placement and fingerprinted secrets are left out: they cannot be matched on the device.
    """
    conditions = [
        f"{name}={_shown(value)}"
        for name, value in _attributes(entry, path).items()
        if name not in _PLACEMENT and "<secret:" not in value
    ]
    return f"[find where {' and '.join(conditions)}]" if conditions else "[find]"


def _named_change(want: str, have: str, path: str) -> list[str]:
    """An entry with the same ``name=`` on both sides: ``set`` / ``unset`` only what differs."""
    wanted, found = _attributes(want, path), _attributes(have, path)
    selector = f"[find where name={_shown(wanted['name'])}]"
    changed = [f"{k}={v}" for k, v in wanted.items() if found.get(k) != v]
    out = [f"{path} set {selector} {' '.join(changed)}"] if changed else []
    out += [f"{path} unset {selector} value-name={k}" for k in found if k not in wanted]
    return out


def _verb(entry: str, path: str) -> str:
    return entry[len(path) :].split(" ", 2)[1] if entry.startswith(path + " ") else ""


def _selector(entry: str, path: str) -> str:
    """What a ``set`` line addresses: ``[ find default-name=ether1 ]`` or the first word."""
    rest = entry[len(path) :].strip()[len("set") :].strip()
    if rest.startswith("["):
        return rest[: rest.find("]") + 1]
    return rest.split(" ", 1)[0] if "=" not in rest.split(" ", 1)[0] else ""


def _removals(want: list[str], have: list[str], path: str, renamed: dict[str, str]) -> list[str]:
    """Undo entries only the device has: ``remove`` an ``add``; a ``set`` cannot be undone."""
    wanted_selectors = {_selector(t, path) for t in want if _verb(t, path) == "set"}
    out: list[str] = []
    for entry in have:
        if entry in want or entry in renamed.values():
            continue
        if _verb(entry, path) == "add":
            out.append(f"{path} remove {_find(entry, path)}")
        elif _verb(entry, path) == "set" and _selector(entry, path) not in wanted_selectors:
            out.append(f"# {path}: no approved value for: {entry[len(path) :].strip()}")
    return out


def _restorations(
    want: Node, have: list[str], renamed: dict[str, str], profile: Profile
) -> list[str]:
    """Put back approved entries: ``set`` by name when the device has it, else the line."""
    path = want.text
    lines = [c.text for c in want.children]
    out: list[str] = []
    for index, entry in enumerate(lines):
        if entry in have:
            continue
        if entry in renamed:
            out.extend(_named_change(entry, renamed[entry], path))
        else:
            out.append(entry + _placement(lines[index + 1 :], have, path, want, profile))
    return out


def _reorder(want: list[str], have: list[str], path: str) -> list[str]:
    """``move`` commands that give shared ``add`` entries their approved order."""
    adds = [t for t in want if t in have and _verb(t, path) == "add"]
    current = [t for t in have if t in adds]
    return [_move(name, current, path) for name, _where, _anchor in moves(adds, current)]


def _section(want: Node, have: Node, profile: Profile) -> list[str]:
    """Commands for one menu (``/ip firewall filter``)."""
    path = want.text
    want_lines = [c.text for c in want.children]
    have_lines = [c.text for c in have.children]
    renamed = _same_names(want_lines, have_lines, path)
    out = _removals(want_lines, have_lines, path, renamed)
    out += _restorations(want, have_lines, renamed, profile)
    if in_ordered_section(want, profile):
        out += _reorder(want_lines, have_lines, path)
    return out


def _move(entry: str, current: list[str], path: str) -> str:
    """RouterOS ``move`` puts an entry before ``destination`` (at the end without one)."""
    index = current.index(entry) + 1
    if index < len(current):
        return f"{path} move {_find(entry, path)} destination={_find(current[index], path)}"
    return f"{path} move {_find(entry, path)}"


def _same_names(want: list[str], have: list[str], path: str) -> dict[str, str]:
    """Approved ``add`` entries whose ``name=`` the device has under other attributes."""

    def named(lines: list[str], other: list[str]) -> dict[str, str]:
        """Entries of ``lines`` not in ``other``, by their ``name=``."""
        return {
            _attributes(t, path)["name"]: t
            for t in lines
            if t not in other and _verb(t, path) == "add" and "name" in _attributes(t, path)
        }

    mine, theirs = named(want, have), named(have, want)
    return {entry: theirs[name] for name, entry in mine.items() if name in theirs}


def _placement(
    following: list[str], have: list[str], path: str, want: Node, profile: Profile
) -> str:
    if not in_ordered_section(want, profile):
        return ""
    anchor = next((t for t in following if t in have and _verb(t, path) == "add"), None)
    return f" place-before={_find(anchor, path)}" if anchor else ""


def routeros_remediation(approved: Node, observed: Node, profile: Profile) -> list[str]:
    """RouterOS commands (terse, menu path first) that turn observed back into approved."""
    out: list[str] = []
    for want, have in pairs(approved.children, observed.children):
        if want is not None and want.synthetic:
            out.extend(_section(want, have or Node(want.text, synthetic=True), profile))
        elif have is not None and have.synthetic:
            out.extend(_section(Node(have.text, synthetic=True), have, profile))
    return out
