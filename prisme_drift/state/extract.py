"""Structured state from the normalized configuration, with the profile's declared extractors.

The engine knows no vendor: a profile lists :class:`~prisme_drift.profiles.schema.Extractor`
rules (patterns over the parsed configuration tree) and names generic converters from
:data:`CONVERTERS`. It runs on the stored, already fingerprinted text, so no secret can reach
the state, and it costs no command on the device.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import shlex
from collections.abc import Callable, Iterator
from typing import Any

from prisme_drift.classify.tree import Node, parse
from prisme_drift.profiles import Profile
from prisme_drift.profiles.regex import compiled
from prisme_drift.profiles.state_schema import Extractor, FieldRule, StateCommand

log = logging.getLogger(__name__)

Record = dict[str, Any]


# -- converters -------------------------------------------------------------------------------
def _unquote(value: str) -> str:
    value = value.strip()
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
    if quoted and value[0] not in value[1:-1]:
        return value[1:-1]
    return value


def _words(value: str) -> list[str]:
    try:
        return [w for w in shlex.split(value) if w]
    except ValueError:
        return [_unquote(w) for w in value.split()]


def _int_ranges(value: str) -> list[int]:
    """``10,20-22`` -> [10, 20, 21, 22] (VLAN lists)."""
    out: list[int] = []
    for part in re.split(r"[,\s]+", value.strip()):
        if re.fullmatch(r"\d+-\d+", part):
            low, high = (int(x) for x in part.split("-"))
            out.extend(range(low, high + 1))
        elif part.isdigit():
            out.append(int(part))
    return sorted(set(out))


def _interface(value: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    parts = value.split()
    text = f"{parts[0]}/{parts[1]}" if len(parts) == 2 else parts[0]
    return ipaddress.ip_interface(text)


def _cidr(value: str) -> str:
    """``10.0.0.1 255.255.255.0`` or ``10.0.0.1/24`` -> ``10.0.0.1/24``."""
    return str(_interface(value))


def _network(value: str) -> str:
    """``10.0.0.0 255.255.255.0`` -> ``10.0.0.0/24`` (host bits dropped)."""
    return str(_interface(value).network)


def _bool(value: str) -> bool:
    return value.strip().lower() in ("enable", "enabled", "yes", "true", "on", "1")


def _range_part(value: str, index: int) -> str:
    bounds = value.split(",", maxsplit=1)[0].split("-")
    return bounds[index].strip() if len(bounds) == 2 else value.strip()


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": lambda v: int(v.strip()),
    "words": _words,
    "csv": lambda v: [p for p in (_unquote(x) for x in v.split(",")) if p],
    "int_ranges": _int_ranges,
    "ranges": lambda v: [str(n) for n in _int_ranges(v)],
    "dotted_unit": lambda v: re.sub(r"\s+unit\s+", ".", v.strip()),  # irb unit 10 -> irb.10
    "cidr": _cidr,
    "network": _network,
    "bool": _bool,
    "not_bool": lambda v: not _bool(v),
    "lower": lambda v: v.strip().lower(),
    "range_start": lambda v: _range_part(v, 0),
    "range_end": lambda v: _range_part(v, -1),
}


def _finish(value: Any, mapping: dict[str, str], convert: str | None) -> Any:
    """Unquote, map, convert one raw value (a converter that fails gives None: unknown)."""
    if not isinstance(value, str):
        return value
    value = _unquote(value)
    value = mapping.get(value, value)
    if convert is None:
        return value
    try:
        return CONVERTERS[convert](value)
    except (ValueError, IndexError):
        return None


# -- matching ---------------------------------------------------------------------------------
def _text_lines(node: Node) -> list[str]:
    """The record's own line then every line nested under it."""
    own = [] if node.synthetic else node.text.split("\n")
    return own + [line for child in node.children for line in _text_lines(child)]


def _walk(node: Node) -> Iterator[Node]:
    for child in node.children:
        yield child
        yield from _walk(child)


def _candidates(node: Node) -> Iterator[Node]:
    """Nodes under ``node`` at the next level (through synthetic groups of flat dialects)."""
    for child in node.children:
        if child.synthetic:
            yield child
            yield from _candidates(child)
        else:
            yield child


def _node_text(node: Node) -> str:
    return node.match_text if node.synthetic else node.text


def _matches(
    nodes: Iterator[Node], patterns: tuple[str, ...], groups: Record
) -> Iterator[tuple[Node, Record]]:
    """Every node matched by the full path of patterns, with the groups of all levels."""
    head, rest = patterns[0], patterns[1:]
    for node in nodes:
        m = compiled(head).search(_node_text(node))
        if not m:
            continue
        found = {**groups, **{k: v for k, v in m.groupdict().items() if v is not None}}
        if rest:
            yield from _matches(_candidates(node), rest, found)
        else:
            yield node, found


def _matched_value(m: re.Match[str]) -> str:
    return m.group("value") if "value" in m.groupdict() else m.group(0)


def _follow(via: str, value: str, everything: list[str]) -> str | None:
    """The value a reference leads to: the first line ``via`` (with the value) matches."""
    pattern = compiled(via.replace("{value}", re.escape(_unquote(value))))
    return next((_matched_value(m) for x in everything if (m := pattern.search(x))), None)


def _field(rule: FieldRule, lines: list[str], everything: list[str]) -> tuple[bool, Any]:
    """(matched, value) of one field rule over the record's lines."""
    values = []
    for line in lines:
        m = compiled(rule.line).search(line)
        if not m:
            continue
        raw: Any = rule.value
        if raw is None:
            raw = _matched_value(m)
        if rule.via is not None:
            raw = _follow(rule.via, str(raw), everything)
            if raw is None:
                continue
        values.append(_finish(raw, rule.map, rule.convert))
        if not rule.all:
            return True, values[0]
    if values:
        flat: list[Any] = []
        for item in values:
            flat.extend(item if isinstance(item, list) else [item])
        return True, flat
    if rule.default is not None:
        return True, rule.default
    return False, None


def _record(extractor: Extractor, node: Node, groups: Record, everything: list[str]) -> Record:
    lines = _text_lines(node)
    record: Record = dict(extractor.set)
    for name, raw in groups.items():
        if name.startswith("_"):
            continue
        record[name] = _finish(raw, extractor.map.get(name, {}), extractor.convert.get(name))
    for name, rules in extractor.fields.items():
        for rule in rules if isinstance(rules, tuple) else (rules,):
            matched, value = _field(rule, lines, everything)
            if matched:
                record[name] = value
                break
    return record


def _kept(extractor: Extractor, node: Node) -> bool:
    lines = _text_lines(node)
    if extractor.where and not any(compiled(extractor.where).search(x) for x in lines):
        return False
    return not (extractor.unless and any(compiled(extractor.unless).search(x) for x in lines))


def _explode(extractor: Extractor, record: Record) -> list[Record]:
    if not extractor.explode:
        return [record]
    items = record.get(extractor.explode)
    if not isinstance(items, list):
        return [record] if items is not None else []
    return [{**record, extractor.explode: item} for item in items]


def run_extractor(extractor: Extractor, tree: Node, anywhere: bool = False) -> list[Record]:
    """The raw records one extractor finds in a parsed configuration."""
    everything = _text_lines(tree)
    if not extractor.match:
        return _explode(extractor, _record(extractor, tree, {}, everything))
    records: list[Record] = []
    start = _walk(tree) if anywhere or extractor.anywhere else _candidates(tree)
    for node, groups in _matches(start, extractor.match, {}):
        if _kept(extractor, node):
            records.extend(_explode(extractor, _record(extractor, node, groups, everything)))
    return records


def extract_records(config: str, profile: Profile) -> dict[str, list[Record]]:
    """Section name -> raw records, in extractor then configuration order."""
    if not profile.state.extractors:
        return {}
    tree = parse(config, profile)
    out: dict[str, list[Record]] = {}
    for extractor in profile.state.extractors:
        found = run_extractor(extractor, tree, profile.state.anywhere)
        out.setdefault(extractor.section, []).extend(found)
    return out


def output_tree(output: str, spec: StateCommand) -> Node:
    """A command's output as records: each line matching ``spec.record`` with the lines after."""
    root = Node("")
    for line in output.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        if spec.record is None or compiled(spec.record).search(line) or not root.children:
            root.children.append(Node(line.strip()))
        else:
            root.children[-1].children.append(Node(line.strip()))
    return root


def command_records(output: str, spec: StateCommand) -> dict[str, list[Record]]:
    """Section name -> raw records that a state command's output gives."""
    tree = output_tree(output, spec)
    out: dict[str, list[Record]] = {}
    for extractor in spec.extractors:
        out.setdefault(extractor.section, []).extend(run_extractor(extractor, tree))
    return out
