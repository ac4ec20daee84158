"""The text rules a platform profile holds: how to collect and guard a fetch, secrets, noise,
canonical form, blocks and categories (``schema.Profile`` gathers them)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from prisme_drift.models import Category


def compiles(pattern: str) -> str:
    """``pattern`` itself when it is a valid regular expression; ValueError otherwise."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(compiles)]


class Frozen(BaseModel):
    """Base of every profile model: unknown keys refused, values immutable.

    ``defer_build``: the validation schema is built when a profile is first validated, not at
    import: ``compare`` with a cached profile (``profiles.cache``) never builds it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FactRule(Frozen):
    """A device fact read from a command's output: the first match's ``value`` group."""

    command: str
    pattern: Regex

    @model_validator(mode="after")
    def _has_group(self) -> FactRule:
        if "value" not in re.compile(self.pattern, re.M).groupindex:
            raise ValueError(f"fact pattern {self.pattern!r} needs a (?P<value>...) group")
        return self


class CollectSpec(Frozen):
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


class GuardSpec(Frozen):
    """What a good fetch looks like, so a bad one is quarantined instead of committed."""

    end_marker: Regex | None = None
    error_signatures: tuple[Regex, ...] = ()
    min_lines: int = 3


class SecretRule(Frozen):
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


class SecretBlock(Frozen):
    """A multi-line secret (certificate, private key): the lines between begin and end.

    ``resalted`` blocks (keys the device re-encrypts at every fetch) get the constant marker.
    """

    begin: Regex
    end: Regex
    resalted: bool = False


class NoiseBlock(Frozen):
    """Volatile lines from ``begin`` to ``end`` (both included), dropped as a whole."""

    begin: Regex
    end: Regex


class Substitution(Frozen):
    """A volatile part inside a line (a counter, an expiry timer) replaced by fixed text."""

    pattern: Regex
    replacement: str = ""


class GroupedRegex(Frozen):
    """A pattern whose named group ``group`` is rewritten by a canonicalizer."""

    pattern: Regex
    separator: str = ","

    @model_validator(mode="after")
    def _has_group(self) -> GroupedRegex:
        if "group" not in re.compile(self.pattern).groupindex:
            raise ValueError(f"pattern {self.pattern!r} needs a (?P<group>...) group")
        return self


class BlockRule(Frozen):
    """A block whose body is not indented: it opens on ``opener`` and closes on ``end``.

    FortiOS ``config``/``end`` and ``edit``/``next``, EdgeSwitch ``interface 0/1`` ... ``exit``.
    An ``indented`` block (ProCurve ``vlan 20`` ... ``   exit``) also ends, like any indented
    block, at the next line that is not indented under it.
    """

    opener: Regex
    end: str
    indented: bool = False


class CategoryRule(Frozen):
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
