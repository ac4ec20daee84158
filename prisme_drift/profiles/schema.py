"""The frozen schema every platform profile is validated against."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator

from prisme_drift.profiles.rules import (
    BlockRule,
    CategoryRule,
    CollectSpec,
    Frozen,
    GroupedRegex,
    GuardSpec,
    NoiseBlock,
    Regex,
    SecretBlock,
    SecretRule,
    Substitution,
)
from prisme_drift.profiles.state_schema import StateSpec

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


class Profile(Frozen):
    """Everything prisme-drift knows about one platform."""

    name: str
    description: str
    aliases: tuple[str, ...] = ()
    collect: CollectSpec
    # defaults made when a profile is validated, not at import (a model instantiated here
    # would build its schema at every start: ``defer_build``)
    guard: GuardSpec = Field(default_factory=GuardSpec)
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
    state: StateSpec = Field(default_factory=StateSpec)

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
