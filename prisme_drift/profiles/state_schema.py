"""The structured-state part of a platform profile: NAPALM getters, show commands and the
extractors that read records from the normalized configuration (``prisme_drift.state``)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from prisme_drift.profiles.rules import Frozen, Regex, compiles

#: NAPALM getters the structured state may call (each optional, per profile).
GetterName = Literal[
    "get_facts", "get_interfaces", "get_interfaces_ip", "get_vlans", "get_lldp_neighbors_detail"
]
#: Named generic converters a state extractor may apply (see ``prisme_drift.state.extract``).
ConverterName = Literal[
    "int",
    "words",
    "csv",
    "int_ranges",
    "ranges",
    "dotted_unit",
    "cidr",
    "network",
    "bool",
    "not_bool",
    "lower",
    "range_start",
    "range_end",
]
Scalar = str | int | bool


class FieldRule(Frozen):
    """A value read from the lines of a record (its own line and every line nested under it).

    The first line matching ``line`` gives its ``value`` group (the whole match without one),
    or the constant ``value``; ``all`` collects every match into a list. ``map`` renames
    values, ``convert`` names a generic converter; ``default`` applies when no line matches.
    ``via`` follows a reference: the value found is put in place of ``{value}`` in this
    pattern, and the first line of the whole configuration it matches gives the value (a
    RouterOS Wi-Fi configuration naming its security profile).
    """

    line: Regex
    value: Scalar | None = None
    all: bool = False
    map: dict[str, str] = {}
    convert: ConverterName | None = None
    default: Scalar | None = None
    via: str | None = None

    @model_validator(mode="after")
    def _via_pattern(self) -> FieldRule:
        if self.via is None:
            return self
        if "{value}" not in self.via:
            raise ValueError(f"via pattern {self.via!r} needs a {{value}} placeholder")
        compiles(self.via.replace("{value}", "x"))
        return self


class Extractor(Frozen):
    """One kind of record of the structured state, read from the normalized configuration.

    ``match`` is a path of patterns: the first matches a top-level line of the parsed
    configuration (at any depth with ``anywhere``: FortiOS VDOMs), each next one a line nested
    directly under the previous match. One record
    per full match; the named groups of every level are fields (names starting with ``_`` are
    only for the pattern). ``set`` gives constant fields, ``fields`` read values from the
    record's lines, ``convert``/``map`` apply to group values, ``where``/``unless`` keep or drop
    a record by its lines, ``explode`` turns a list-valued field into one record per item.
    """

    section: str
    match: tuple[Regex, ...] = ()
    set: dict[str, Scalar] = {}
    fields: dict[str, FieldRule | tuple[FieldRule, ...]] = {}
    convert: dict[str, ConverterName] = {}
    map: dict[str, dict[str, str]] = {}
    where: Regex | None = None
    unless: Regex | None = None
    explode: str | None = None
    anywhere: bool = False

    @model_validator(mode="after")
    def _known_names(self) -> Extractor:
        # imported here: a profile read from the cache is not validated again, and ``compare``
        # then never needs the device-state models (10 ms of its start)
        from prisme_drift.devicestate import section_fields

        known = section_fields(self.section)
        if known is None:
            raise ValueError(f"state extractor: unknown section {self.section!r}")
        groups = {g for p in self.match for g in re.compile(p).groupindex if not g.startswith("_")}
        names = groups | set(self.set) | set(self.fields) | set(self.convert) | set(self.map)
        unknown = sorted(names - known)
        if unknown:
            raise ValueError(
                f"state extractor for {self.section!r}: unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        if self.explode and self.explode not in names:
            raise ValueError(f"state extractor: explode names no field: {self.explode!r}")
        return self


class StateCommand(Frozen):
    """A show command run with the getters (never at an unchanged poll) and read by extractors.

    Its output is cut into records: a line matching ``record`` starts one and the lines after
    it belong to it (without ``record``, every line is a record). ``unless`` names a section:
    the command is skipped when a getter already gave that section (CDP where LLDP works).
    """

    command: str
    record: Regex | None = None
    unless: str | None = None
    extractors: tuple[Extractor, ...]


class StateSpec(Frozen):
    """How the structured state is built: NAPALM getters (used only when the profile collects
    with NAPALM) and show ``commands`` in one extra session, then the profile's extractors over
    the normalized configuration."""

    getters: tuple[GetterName, ...] = ()
    commands: tuple[StateCommand, ...] = ()
    anywhere: bool = False  # every extractor's first pattern matches at any depth
    extractors: tuple[Extractor, ...] = ()
