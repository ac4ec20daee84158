"""The frozen schema every platform profile is validated against."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from prisme_drift.devicestate import section_fields
from prisme_drift.models import Category


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactRule(_Frozen):
    """A device fact read from a command's output: the first match's ``value`` group."""

    command: str
    pattern: Regex

    @model_validator(mode="after")
    def _has_group(self) -> FactRule:
        if "value" not in re.compile(self.pattern, re.M).groupindex:
            raise ValueError(f"fact pattern {self.pattern!r} needs a (?P<value>...) group")
        return self


class CollectSpec(_Frozen):
    """How to fetch: a NAPALM driver's getters, or a list of Netmiko commands.

    With several Netmiko commands, the stored text is each command's output preceded by
    ``section_header`` (formatted with ``command``), in the order given.
    """

    method: Literal["napalm", "netmiko"]
    napalm_driver: str | None = None
    netmiko_device_type: str | None = None
    commands: tuple[str, ...] = ()
    section_header: str = "#### {command}"
    facts: bool = True
    fact_rules: dict[str, FactRule] = {}
    read_timeout: float = 60.0

    @model_validator(mode="after")
    def _driver_named(self) -> CollectSpec:
        if self.method == "napalm" and not self.napalm_driver:
            raise ValueError("collect.method 'napalm' needs collect.napalm_driver")
        if self.method == "netmiko" and not (self.netmiko_device_type and self.commands):
            raise ValueError("collect.method 'netmiko' needs netmiko_device_type and commands")
        return self


class GuardSpec(_Frozen):
    """What a good fetch looks like, so a bad one is quarantined instead of committed."""

    end_marker: Regex | None = None
    error_signatures: tuple[Regex, ...] = ()
    min_lines: int = 3


class SecretRule(_Frozen):
    """A line-level secret: the named group ``secret`` is replaced by a keyed fingerprint.

    ``resalted`` values change at every fetch although the secret did not (FortiOS ``ENC``),
    so they become a constant marker: their changes cannot be seen, and the docs say so.
    ``within`` limits the rule to lines nested (by indentation) under a line matching it, for
    values that are secret only in one place (a FortiOS SNMP community's ``set name``).
    """

    pattern: Regex
    resalted: bool = False
    within: Regex | None = None

    @model_validator(mode="after")
    def _has_group(self) -> SecretRule:
        if "secret" not in re.compile(self.pattern).groupindex:
            raise ValueError(f"secret pattern {self.pattern!r} needs a (?P<secret>...) group")
        return self


class SecretBlock(_Frozen):
    """A multi-line secret (certificate, private key): the lines between begin and end.

    ``resalted`` blocks (keys the device re-encrypts at every fetch) get the constant marker.
    """

    begin: Regex
    end: Regex
    resalted: bool = False


class NoiseBlock(_Frozen):
    """Volatile lines from ``begin`` to ``end`` (both included), dropped as a whole."""

    begin: Regex
    end: Regex


class Substitution(_Frozen):
    """A volatile part inside a line (a counter, an expiry timer) replaced by fixed text."""

    pattern: Regex
    replacement: str = ""


class GroupedRegex(_Frozen):
    """A pattern whose named group ``group`` is rewritten by a canonicalizer."""

    pattern: Regex
    separator: str = ","

    @model_validator(mode="after")
    def _has_group(self) -> GroupedRegex:
        if "group" not in re.compile(self.pattern).groupindex:
            raise ValueError(f"pattern {self.pattern!r} needs a (?P<group>...) group")
        return self


class BlockRule(_Frozen):
    """A block whose body is not indented: it opens on ``opener`` and closes on ``end``.

    FortiOS ``config``/``end`` and ``edit``/``next``, EdgeSwitch ``interface 0/1`` ... ``exit``.
    An ``indented`` block (ProCurve ``vlan 20`` ... ``   exit``) also ends, like any indented
    block, at the next line that is not indented under it.
    """

    opener: Regex
    end: str
    indented: bool = False


class CategoryRule(_Frozen):
    """A changed line matching ``line`` (and, if given, in a section matching ``parent``: an
    enclosing line, or the line itself when it opens that section)."""

    category: Category
    line: Regex | None = None
    parent: Regex | None = None

    @model_validator(mode="after")
    def _matches_something(self) -> CategoryRule:
        if self.line is None and self.parent is None:
            raise ValueError("a category rule needs 'line', 'parent' or both")
        return self


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


class FieldRule(_Frozen):
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
        _compiles(self.via.replace("{value}", "x"))
        return self


class Extractor(_Frozen):
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


class StateCommand(_Frozen):
    """A show command run with the getters (never at an unchanged poll) and read by extractors.

    Its output is cut into records: a line matching ``record`` starts one and the lines after
    it belong to it (without ``record``, every line is a record). ``unless`` names a section:
    the command is skipped when a getter already gave that section (CDP where LLDP works).
    """

    command: str
    record: Regex | None = None
    unless: str | None = None
    extractors: tuple[Extractor, ...]


class StateSpec(_Frozen):
    """How the structured state is built: NAPALM getters (used only when the profile collects
    with NAPALM) and show ``commands`` in one extra session, then the profile's extractors over
    the normalized configuration."""

    getters: tuple[GetterName, ...] = ()
    commands: tuple[StateCommand, ...] = ()
    anywhere: bool = False  # every extractor's first pattern matches at any depth
    extractors: tuple[Extractor, ...] = ()


#: How text becomes a tree (see ``prisme_drift.classify.dialects``).
ParserName = Literal["hier_config", "indent", "flat"]
#: How remediation hints are computed (see ``prisme_drift.classify.remediation``).
RemediationName = Literal["hier_config", "edit_blocks", "set_delete", "menu_entries", "none"]
#: Steps that rebuild whole statements before pass 1 (see ``prisme_drift.normalize.framing``).
FramingName = Literal["join_backslash", "inline_menu_paths"]
#: Pass 3 steps (see ``prisme_drift.normalize.canonical``).
CanonicalizerName = Literal[
    "strip_trailing_whitespace",
    "drop_blank_lines",
    "drop_comment_lines",
    "collapse_spaces",
    "canonical_ranges",
    "sort_lists",
    "merge_list_lines",
    "strip_sequence_numbers",
    "join_open_braces",
    "merge_duplicate_sections",
]


class Profile(_Frozen):
    """Everything prisme-drift knows about one platform."""

    name: str
    description: str
    aliases: tuple[str, ...] = ()
    collect: CollectSpec
    guard: GuardSpec = GuardSpec()
    # before pass 1: framing steps rebuild whole statements (joined continuations, a menu
    # path on every line), so that no secret split over lines escapes its pattern
    framing: tuple[FramingName, ...] = ()
    # ``inline_menu_paths``: the commands that end a menu path (``/ip address add ...``)
    menu_verbs: tuple[str, ...] = ()
    # pass 1: secrets
    secrets: tuple[SecretRule, ...] = ()
    secret_blocks: tuple[SecretBlock, ...] = ()
    # pass 2: noise
    noise: tuple[Regex, ...] = ()
    noise_blocks: tuple[NoiseBlock, ...] = ()
    substitutions: tuple[Substitution, ...] = ()
    # pass 3: canonical form
    canonicalizers: tuple[CanonicalizerName, ...] = (
        "strip_trailing_whitespace",
        "drop_blank_lines",
    )
    comment_prefixes: tuple[str, ...] = ()
    ranges: tuple[GroupedRegex, ...] = ()
    sorted_lists: tuple[GroupedRegex, ...] = ()
    list_merges: tuple[Regex, ...] = ()
    sequenced_sections: tuple[Regex, ...] = ()
    # classification
    indent: Literal["spaces"] = "spaces"
    parser: ParserName | None = None
    hier_config_platform: str | None = None
    blocks: tuple[BlockRule, ...] = ()
    quoted_multiline: bool = False
    flat_groups: tuple[Regex, ...] = ()
    render_indent: int = 1
    ordered_sections: tuple[Regex, ...] = ()
    categories: tuple[CategoryRule, ...] = ()
    # a negated line no rule claims is categorized as its positive form (``no ip routing``)
    negation_prefix: str | None = "no "
    remediation: RemediationName | None = None
    # words that start a remediation line without naming its section (``no vlan 40``), and
    # lines that close the section above them (``end``, ``exit``): how a device's remediation
    # text is cut into the share of each hunk
    remediation_verbs: tuple[str, ...] = ()
    remediation_closers: tuple[str, ...] = ()
    # ``set_delete``: the verb that undoes a statement's verb (``set`` -> ``delete``); a verb
    # not listed is undone with ``delete``
    negations: dict[str, str] = {}
    # ``menu_entries``: the attribute that places an entry before another (written to restore
    # the approved order, left out when an entry is looked up on the device)
    placement_attribute: str | None = None
    # hier_config reads each top-level section on its own (its load callbacks never move lines
    # from one section to another), so sections both sides hold alike may be left out
    sections_independent: bool = False
    # structured state (prisme_drift.state)
    state: StateSpec = StateSpec()

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.parser == "hier_config" and not self.hier_config_platform:
            raise ValueError("parser 'hier_config' needs hier_config_platform")
        if self.remediation == "hier_config" and not self.hier_config_platform:
            raise ValueError("remediation 'hier_config' needs hier_config_platform")
        for rule in self.list_merges:
            names = re.compile(rule).groupindex
            if "head" not in names or "items" not in names:
                raise ValueError(f"list_merges pattern {rule!r} needs (?P<head>) and (?P<items>)")
        for rule in self.flat_groups:
            if "group" not in re.compile(rule).groupindex:
                raise ValueError(f"flat_groups pattern {rule!r} needs a (?P<group>...) group")
        return self

    @cached_property
    def compiled_patterns(self) -> dict[str, re.Pattern[str]]:
        """The profile's regular expressions, each compiled once (filled by ``pattern``)."""
        return {}

    def pattern(self, text: str) -> re.Pattern[str]:
        """One of the profile's regular expressions, compiled once and kept on the profile."""
        compiled = self.compiled_patterns.get(text)
        if compiled is None:
            compiled = self.compiled_patterns[text] = re.compile(text)
        return compiled

    def ordered(self, text: str) -> bool:
        """Whether a section's line opens a section whose order matters (``ordered_sections``)."""
        return any(self.pattern(p).search(text) for p in self.ordered_sections)

    @property
    def state_getters(self) -> tuple[str, ...]:
        """The NAPALM getters the state uses (none when the profile collects with Netmiko)."""
        return self.state.getters if self.collect.method == "napalm" else ()

    @property
    def state_session(self) -> bool:
        """Whether the structured state needs a session on the device (getters or commands)."""
        return bool(self.state_getters or self.state.commands)

    @property
    def tree_parser(self) -> ParserName:
        """The parser in effect: explicit, else hier_config when it knows the platform."""
        if self.parser:
            return self.parser
        return "hier_config" if self.hier_config_platform else "indent"

    @property
    def remediator(self) -> RemediationName:
        """The remediation method in effect: explicit, else hier_config when available."""
        if self.remediation:
            return self.remediation
        return "hier_config" if self.hier_config_platform else "none"

    def section_headers(self) -> frozenset[str]:
        """The header lines the collector puts before each command's output (several commands)."""
        commands = self.collect.commands
        if self.collect.method != "netmiko" or len(commands) < 2:
            return frozenset()
        return frozenset(self.collect.section_header.format(command=c) for c in commands)
