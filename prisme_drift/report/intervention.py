"""The intervention report ("compte rendu d'intervention") of one ticket: building its view.

``build_intervention`` turns plain inputs (the ticket, each device's state at the last good poll
before the window and at the first good poll after it, the drift items seen around the window,
the technicians' notes) into a frozen :class:`InterventionView` that templates render and
``--json`` prints. No database, git or SSH here: ``report/intervention_sources.py`` gathers the
inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from prisme_drift.authorize.model import Ticket
from prisme_drift.devicestate import ITEM_KEYS, STRING_SECTIONS, DeviceState, StateChange
from prisme_drift.report.intervention_input import (
    GOOD,
    OUTSIDE_MARGIN,
    ChangeInput,
    DeviceSide,
    InterventionInput,
)
from prisme_drift.report.intervention_view import (
    ChangeRow,
    CheckRow,
    DiffRow,
    InterventionView,
    ParamTable,
    RollbackRow,
    SideView,
)
from prisme_drift.state.changes import state_changes

#: A section with more items than this lists only the items that changed (a 48-port switch).
FULL_SECTION_MAX = 12

#: The state sections each change category touches (the network parameters of Avant/Après).
CATEGORY_SECTIONS: dict[str, tuple[str, ...]] = {
    "interface": ("interfaces",),
    "vlan": ("vlans", "interfaces"),
    "acl": ("firewall_policies",),
    "routing": ("routes",),
    "nat": ("port_forwards",),
    "firewall": ("firewall_policies", "port_forwards"),
    "wifi": ("ssids",),
    "addressing": ("interfaces", "dhcp_pools", "dns_servers"),
    "management": ("management", "users", "snmp", "ntp_servers"),
    "device": (),
    "other": (),
}
#: The fields shown per section, in order (identity first).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "interfaces": (
        "name", "description", "enabled", "mode", "access_vlan", "allowed_vlans", "addresses",
    ),
    "vlans": ("id", "name", "ports"),
    "routes": ("prefix", "next_hop", "interface"),
    "dhcp_pools": ("name", "network", "gateway", "dns_servers", "range_start", "range_end"),
    "snmp": ("version", "access", "allowed_from"),
    "management": ("protocol", "interface", "enabled", "allowed_from"),
    "users": ("name", "privilege"),
    "firewall_policies": ("id", "name", "src_intf", "dst_intf", "src", "dst", "service", "action"),
    "port_forwards": (
        "id", "name", "wan_interface", "external_ip", "external_port", "internal_ip",
        "internal_port", "protocol",
    ),
    "ssids": ("name", "security", "vlan"),
    "dns_servers": ("value",),
    "ntp_servers": ("value",),
}  # fmt: skip
SECTION_ORDER = tuple(SECTION_FIELDS)
FIELDS = tuple(dict.fromkeys(f for fields in SECTION_FIELDS.values() for f in fields))
#: Facts whose change means another box or another software: they stand out.
IDENTITY_FACTS = ("serial", "model", "os_version")


# -- building ------------------------------------------------------------------------------------
def _changed_keys(changes: list[StateChange]) -> dict[str, set[str]]:
    """Section -> identities of the items that changed (``vlans[40]`` -> {"40"})."""
    keys: dict[str, set[str]] = {}
    for change in changes:
        if "[" in change.path:
            item = change.path.split("[", 1)[1].split("]", 1)[0]
            keys.setdefault(change.section, set()).add(item)
    return keys


def _item_key(section: str, item: Mapping[str, Any]) -> str:
    parts = [str(item.get(k)) for k in ITEM_KEYS.get(section, ()) if item.get(k) is not None]
    return " ".join(parts) or "?"


def param_table(state: DeviceState, section: str, changed: set[str]) -> ParamTable | None:
    """The section's items as rows; a long section keeps only its changed items."""
    fields = SECTION_FIELDS[section]
    data = state.canonical()[section]
    if section in STRING_SECTIONS:
        items: list[Mapping[str, Any]] = [{"value": v} for v in data]
        keyed = [(str(i["value"]), i) for i in items]
    else:
        keyed = [(_item_key(section, i), i) for i in data]
    if not keyed:
        return None
    shown = keyed if len(keyed) <= FULL_SECTION_MAX else [(k, i) for k, i in keyed if k in changed]
    rows = tuple(tuple(i.get(f) for f in fields) for _, i in shown)
    return ParamTable(section, fields, rows, hidden=len(keyed) - len(shown))


def touched_sections(
    ticket: Ticket, categories: set[str], changes: list[StateChange]
) -> tuple[str, ...]:
    """The sections the ticket's categories, the changes seen and the state changes touch."""
    wanted = {s for c in {*map(str, ticket.categories), *categories} for s in CATEGORY_SECTIONS[c]}
    wanted |= {c.section for c in changes if c.section in SECTION_FIELDS}
    return tuple(s for s in SECTION_ORDER if s in wanted)


def side_view(
    device: str,
    side: DeviceSide | None,
    address: str,
    sections: tuple[str, ...],
    changed: dict[str, set[str]],
) -> SideView:
    """A device at one edge of the window."""
    side = side or DeviceSide(poll=None)
    params: list[ParamTable] = []
    if side.state is not None:
        for section in sections:
            if side.state.sources.get(section, "unknown") in ("unknown",):
                continue
            table = param_table(side.state, section, changed.get(section, set()))
            if table is not None:
                params.append(table)
    return SideView(
        device=device,
        poll=side.poll,
        vendor=side.fact("vendor"),
        model=side.fact("model"),
        serial=side.fact("serial"),
        os_version=side.fact("os_version"),
        address=address,
        params=tuple(params),
    )


def _fact_changes(device: str, before: DeviceSide, after: DeviceSide) -> list[StateChange]:
    """Identity facts that changed, from the facts files when a state cannot say."""
    out = []
    for name in IDENTITY_FACTS:
        was, now = before.fact(name), after.fact(name)
        if was and now and was != now:
            out.append(
                StateChange(
                    device=device,
                    kind="changed",
                    section="facts",
                    path=f"facts.{name}",
                    before=was,
                    after=now,
                    message=f"state.facts.{name}.changed",
                    params={"device": device, "field": name, "before": was, "after": now},
                )
            )
    return out


def device_differences(device: str, before: DeviceSide, after: DeviceSide) -> list[StateChange]:
    """What differs from Avant to Après on one device, as values (identity facts included)."""
    changes: list[StateChange] = []
    if before.state is not None and after.state is not None:
        found = state_changes(before.state, after.state)
        changes = [c for c in found if c.path != "facts.uptime_s"]
    seen = {c.path for c in changes}
    return changes + [c for c in _fact_changes(device, before, after) if c.path not in seen]


def in_window(change: ChangeInput, ticket: Ticket) -> bool:
    """Whether the interval in which the change appeared meets the ticket's window."""
    start = change.appeared_after or change.seen_at
    return ticket.start <= change.seen_at and ticket.end >= start


def relevant(change: ChangeInput, ticket: Ticket, scope: set[str]) -> bool:
    """Inside the window on any device; near it (``OUTSIDE_MARGIN``) on the ticket's devices."""
    if in_window(change, ticket):
        return True
    near = ticket.start - OUTSIDE_MARGIN <= change.seen_at <= ticket.end + OUTSIDE_MARGIN
    return near and change.device in scope


def _mentions(change: ChangeInput, fact: StateChange) -> bool:
    """Whether a state change is about what the hunk's lines name (its item appears in them)."""
    if fact.section == "facts":
        return change.category == "device"
    item = str(fact.params.get("item", ""))
    if not item:
        return False
    text = "\n".join((*change.path, *change.removed, *change.added))
    return re.search(rf"(?<![\w/.]){re.escape(item)}(?![\w/.])", text) is not None


def _change_rows(
    data: InterventionInput, diffs: Mapping[str, list[StateChange]]
) -> list[ChangeRow]:
    scope = set(data.devices)
    ticket = data.ticket
    rows = []
    for change in sorted(data.changes, key=lambda c: (c.seen_at, c.device, c.id)):
        if not relevant(change, ticket, scope):
            continue
        facts = tuple(c for c in diffs.get(change.device, []) if _mentions(change, c))
        rows.append(
            ChangeRow(
                change=change,
                in_window=in_window(change, ticket),
                device_in_scope=change.device in scope,
                category_in_scope=change.category in {str(c) for c in ticket.categories},
                facts=facts,
            )
        )
    return rows


def _neighbors(state: DeviceState | None) -> set[str] | None:
    if state is None or state.sources.get("neighbors", "unknown") in ("unknown", "carried"):
        return None
    return {f"{n.local_port} → {n.remote_name or n.chassis_id or '?'}" for n in state.neighbors}


def check_row(device: str, data: InterventionInput) -> CheckRow:
    """The system's checks of one device after the window."""
    before, after = data.before.get(device), data.after.get(device)
    polled = after is not None and after.poll is not None and after.poll.status in GOOD
    was = _neighbors(before.state if before else None)
    now = _neighbors(after.state if after else None)
    lost = tuple(sorted(was - now)) if was is not None and now is not None else ()
    return CheckRow(
        device=device,
        polled_ok=polled,
        no_quarantine="quarantined" not in data.bad_polls.get(device, ()),
        neighbors_kept=None if was is None or now is None else not lost,
        lost_neighbors=lost,
    )


def rollback_row(device: str, data: InterventionInput, changed_inside: bool) -> RollbackRow:
    """Whether the configuration after the window is the one before it."""
    before, after = data.before.get(device), data.after.get(device)
    if not before or not after or before.config is None or after.config is None:
        return RollbackRow(device, "unknown")
    if before.config == after.config:
        return RollbackRow(device, "returned" if changed_inside else "no_change")
    return RollbackRow(device, "kept")


def build_intervention(data: InterventionInput) -> InterventionView:
    """The intervention report of a ticket from its inputs."""
    empty = DeviceSide(poll=None)
    diffs = {
        d: device_differences(d, data.before.get(d, empty), data.after.get(d, empty))
        for d in data.devices
    }
    changes = _change_rows(data, diffs)
    befores, afters = [], []
    for device in data.devices:
        categories = {c.change.category for c in changes if c.change.device == device}
        sections = touched_sections(data.ticket, categories, diffs[device])
        changed = _changed_keys(diffs[device])
        address = data.addresses.get(device, "")
        befores.append(side_view(device, data.before.get(device), address, sections, changed))
        afters.append(side_view(device, data.after.get(device), address, sections, changed))
    differences = [
        DiffRow(d, c, c.section == "facts" and c.path.split(".", 1)[1] in IDENTITY_FACTS)
        for d in data.devices
        for c in diffs[d]
    ]
    inside = {c.change.device for c in changes if c.in_window}
    return InterventionView(
        data=data,
        scope_devices=data.devices,
        before=tuple(befores),
        after=tuple(afters),
        changes=tuple(changes),
        differences=tuple(differences),
        checks=tuple(check_row(d, data) for d in data.devices),
        rollback=tuple(rollback_row(d, data, d in inside) for d in data.devices),
    )
