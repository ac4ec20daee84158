"""One device's DeviceState from its normalized configuration, facts and getter results.

Precedence per section: the getters' values over the configuration's. A section a getter
should have given but could not, and that no extractor reads from the configuration, is carried
forward from the previous state (``sources`` says ``carried``) or stays ``unknown``: never empty,
so that a broken LLDP parser is not "every neighbor lost".
"""

from __future__ import annotations

import ipaddress
from typing import Any

from prisme_drift.devicestate import SECTIONS, DeviceState, Facts
from prisme_drift.profiles import Profile
from prisme_drift.state.derive import Record, build_sections
from prisme_drift.state.extract import command_records, extract_records
from prisme_drift.state.getters import GETTER_SECTIONS, GetterResults

#: Collection facts (NAPALM get_facts keys / profile fact rules) -> Facts fields.
FACT_NAMES = {
    "vendor": "vendor",
    "model": "model",
    "serial_number": "serial",
    "serial": "serial",
    "os_version": "os_version",
    "hostname": "hostname",
}


def _number(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _facts_records(raw: dict[str, Any]) -> list[Record]:
    record: Record = {FACT_NAMES[k]: str(v) for k, v in raw.items() if k in FACT_NAMES and v}
    if raw.get("uptime") is not None:
        record["uptime_s"] = _number(raw["uptime"])
    return [record]


def _interface_records(raw: dict[str, Any]) -> list[Record]:
    return [
        {
            "name": name,
            "description": (data.get("description") or None),
            "enabled": data.get("is_enabled"),
            "speed_mbps": _number(data.get("speed")),
        }
        for name, data in raw.items()
    ]


def _address_records(raw: dict[str, Any]) -> list[Record]:
    records = []
    for name, families in raw.items():
        addresses = []
        for family in ("ipv4", "ipv6"):
            for ip, data in (families.get(family) or {}).items():
                itf = ipaddress.ip_interface(f"{ip}/{data.get('prefix_length', 32)}")
                if not itf.ip.is_link_local:
                    addresses.append(str(itf))
        records.append({"name": name, "addresses": addresses})
    return records


def _vlan_records(raw: dict[str, Any]) -> list[Record]:
    return [
        {
            "id": int(vid),
            "name": data.get("name") or None,
            "ports": list(data.get("interfaces", [])),
        }
        for vid, data in raw.items()
        if str(vid).isdigit()
    ]


def _neighbor_records(raw: dict[str, Any]) -> list[Record]:
    return [
        {
            "local_port": port,
            "remote_name": entry.get("remote_system_name") or None,
            "remote_port": entry.get("remote_port") or None,
            "chassis_id": entry.get("remote_chassis_id") or None,
            "protocol": "lldp",
        }
        for port, entries in raw.items()
        for entry in entries
    ]


GETTER_RECORDS = {
    "get_facts": ("facts", _facts_records),
    "get_interfaces": ("interfaces", _interface_records),
    "get_interfaces_ip": ("interfaces", _address_records),
    "get_vlans": ("vlans", _vlan_records),
    "get_lldp_neighbors_detail": ("neighbors", _neighbor_records),
}


def _getter_sections(
    raw: dict[str, list[Record]], results: GetterResults, sources: dict[str, str]
) -> None:
    """Add the getters' records after the configuration's (later records win on merge)."""
    for name, value in results.values.items():
        section, to_records = GETTER_RECORDS[name]
        raw.setdefault(section, []).extend(to_records(value))
        earlier = sources.get(section, "")
        sources[section] = (
            f"{earlier}+{name}" if earlier.startswith("getter:") else f"getter:{name}"
        )


def _command_sections(
    raw: dict[str, list[Record]], profile: Profile, results: GetterResults, sources: dict[str, str]
) -> None:
    """Records the state commands' outputs give (after the configuration's and getters')."""
    for spec in profile.state.commands:
        output = results.outputs.get(spec.command)
        if output is None:
            continue
        for section, records in command_records(output, spec).items():
            raw.setdefault(section, []).extend(records)
            if section not in sources or sources[section] == "config":
                sources[section] = f"command:{spec.command}"


def _fallbacks(
    profile: Profile,
    results: GetterResults | None,
    sources: dict[str, str],
    previous: DeviceState | None,
) -> dict[str, Any]:
    """Sections a failed getter or command leaves without a source: carried, or unknown."""
    carried: dict[str, Any] = {}
    missing = [
        section
        for getter in profile.state_getters
        if results is None or getter not in results.values
        for section in GETTER_SECTIONS[getter]
    ] + [
        extractor.section
        for spec in profile.state.commands
        if results is None or spec.command not in results.outputs
        for extractor in spec.extractors
    ]
    for section in dict.fromkeys(missing):
        if section in sources:
            continue
        before = previous.sources.get(section, "unknown") if previous else "unknown"
        if previous is not None and before != "unknown":
            sources[section] = "carried"
            carried[section] = getattr(previous, section)
        else:
            sources[section] = "unknown"
    return carried


def build_state(
    *,
    device: str,
    profile: Profile,
    config: str,
    facts: dict[str, Any],
    collected_at: str,
    getters: GetterResults | None = None,
    previous: DeviceState | None = None,
) -> DeviceState:
    """The structured state of one device (see the module docstring for the precedence)."""
    raw = extract_records(config, profile)
    sources = dict.fromkeys(raw, "config")
    raw.setdefault("facts", []).insert(0, _facts_records(facts)[0])
    if facts:
        sources.setdefault("facts", "collect")
    if getters is not None:
        _getter_sections(raw, getters, sources)
        _command_sections(raw, profile, getters, sources)
    carried = _fallbacks(profile, getters, sources, previous)
    sections = build_sections(raw, device)
    values: dict[str, Any] = {s: sections[s] for s in SECTIONS if s in sections and s != "facts"}
    values.update(carried)
    known_facts = sections.get("facts", {})
    if sources.get("facts") == "carried" and previous is not None:
        known_facts = {**previous.facts.model_dump(exclude_none=True), **known_facts}
    return DeviceState(
        device=device,
        platform=profile.name,
        collected_at=collected_at,
        facts=Facts.model_validate(known_facts),
        sources=dict(sorted(sources.items())),
        errors=dict(sorted((getters.errors if getters else {}).items())),
        **values,
    )
