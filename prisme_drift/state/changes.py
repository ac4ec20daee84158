"""Structured changes between two states of a device, computed with deepdiff.

Each list section is first keyed by its object identity (a VLAN by id, an interface by name, a
neighbor by local port and remote name), so deepdiff reports "VLAN 40 added" or "Gi1/0/3
access_vlan 10 -> 40" instead of list positions. Sections whose source is ``carried`` or
``unknown`` on either side, or whose source changed, are not compared: unknown is never
"removed". ``uptime_s`` only speaks when it went down (the device restarted); ``collected_at``
never does.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from prisme_drift.devicestate import (
    ITEM_KEYS,
    SECTIONS,
    STRING_SECTIONS,
    DeviceState,
    StateChange,
)

_UNCOMPARABLE = ("carried", "unknown")

#: Volatile fields: compared only as the rules below say, never committed alone.
VOLATILE = ("collected_at", "uptime_s")


def _item_key(section: str, item: dict[str, Any]) -> str:
    parts = [str(item.get(k)) for k in ITEM_KEYS[section] if item.get(k) is not None]
    return " ".join(parts) or "?"


def _keyed(state: DeviceState, sections: list[str]) -> dict[str, Any]:
    data = state.canonical()
    out: dict[str, Any] = {}
    for section in sections:
        value = data[section]
        if section == "facts":
            out[section] = {k: v for k, v in value.items() if k != "uptime_s"}
        elif section in STRING_SECTIONS:
            out[section] = dict.fromkeys(value, True)
        else:
            out[section] = {_item_key(section, item): item for item in value}
    return out


def comparable_sections(old: DeviceState, new: DeviceState) -> list[str]:
    """Sections both states know from the same source (facts: from any source).

    A section carried or unknown on either side is skipped, and so is one whose source changed
    (a getter failed and the configuration stood in): the two describe the device differently
    (``show vlan`` lists VLAN 1, the configuration does not), and that is no change.
    """
    out = []
    for section in SECTIONS:
        before, after = old.sources.get(section), new.sources.get(section)
        if before in _UNCOMPARABLE or after in _UNCOMPARABLE:
            continue
        if section == "facts" or before == after:
            out.append(section)
    return out


def _change(
    device: str, kind: str, section: str, path: list[Any], before: Any, after: Any
) -> StateChange:
    key = str(path[1]) if len(path) > 1 else ""
    field = str(path[2]) if len(path) > 2 else None
    if section == "facts":
        message = f"state.facts.{key}.{kind}"
        params: dict[str, Any] = {"device": device, "field": key}
        locator = f"facts.{key}"
    elif field is None:
        message = f"state.{section}.{kind}"
        params = {"device": device, "item": key}
        locator = f"{section}[{key}]"
    else:
        message = f"state.{section}.{field}.changed"
        params = {"device": device, "item": key, "field": field}
        locator = f"{section}[{key}].{field}"
    params.update({"before": before, "after": after})
    return StateChange(
        device=device,
        kind=kind,  # type: ignore[arg-type]
        section=section,
        path=locator,
        before=before,
        after=after,
        message=message,
        params=params,
    )


def _lookup(data: dict[str, Any], path: list[Any]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _restart(device: str, old: DeviceState, new: DeviceState) -> list[StateChange]:
    before, after = old.facts.uptime_s, new.facts.uptime_s
    if before is None or after is None or after >= before:
        return []
    return [_change(device, "changed", "facts", ["facts", "uptime_s"], before, after)]


def state_changes(old: DeviceState | None, new: DeviceState) -> list[StateChange]:
    """The structured differences from ``old`` to ``new`` (none for a first state)."""
    if old is None:
        return []
    sections = comparable_sections(old, new)
    before, after = _keyed(old, sections), _keyed(new, sections)
    diff = DeepDiff(before, after, ignore_order=True, view="tree")
    seen: dict[tuple[str, ...], StateChange] = {}
    for report, levels in diff.items():
        for level in levels:
            path = level.path(output_format="list")
            section = str(path[0])
            depth = 2 if section == "facts" or section in STRING_SECTIONS else 3
            if len(path) < depth or (len(path) == 2 and report.startswith("dictionary_item")):
                kind = "added" if report.endswith("added") else "removed"
                if section in STRING_SECTIONS or section == "facts":
                    kind = "changed" if section == "facts" else kind
                cut = path[:2]
            else:
                kind, cut = "changed", path[:depth]
            ident = tuple(str(p) for p in cut)
            if ident not in seen:
                was, now = _lookup(before, cut), _lookup(after, cut)
                if section in STRING_SECTIONS:
                    was, now = (cut[1], None) if kind == "removed" else (None, cut[1])
                seen[ident] = _change(new.device, kind, section, cut, was, now)
    changes = list(seen.values()) + _restart(new.device, old, new)
    return sorted(changes, key=lambda c: (SECTIONS.index(c.section), c.path, c.kind))


def same_state(old: DeviceState | None, new: DeviceState) -> bool:
    """Whether two states differ only in volatile values (then nothing is committed)."""
    if old is None:
        return False
    drop = {"collected_at": True, "facts": {"uptime_s"}}
    return old.model_dump(exclude=drop) == new.model_dump(exclude=drop)  # type: ignore[arg-type]


def change_line(change: dict[str, Any]) -> str:
    """One plain line for a terminal or a log (documents translate ``message`` instead)."""
    if change["kind"] in ("added", "removed"):
        return f"{change['kind']} {change['path']}"
    return f"{change['path']}: {change['before']!r} -> {change['after']!r}"
