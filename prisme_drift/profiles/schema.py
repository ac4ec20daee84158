"""The frozen schema every platform profile is validated against."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

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
    """

    pattern: Regex
    resalted: bool = False

    @model_validator(mode="after")
    def _has_group(self) -> SecretRule:
        if "secret" not in re.compile(self.pattern).groupindex:
            raise ValueError(f"secret pattern {self.pattern!r} needs a (?P<secret>...) group")
        return self


class SecretBlock(_Frozen):
    """A multi-line secret (certificate, private key): the lines between begin and end."""

    begin: Regex
    end: Regex


class CategoryRule(_Frozen):
    """A changed line matching ``line`` (and, if given, under an ancestor matching ``parent``)."""

    category: Category
    line: Regex | None = None
    parent: Regex | None = None

    @model_validator(mode="after")
    def _matches_something(self) -> CategoryRule:
        if self.line is None and self.parent is None:
            raise ValueError("a category rule needs 'line', 'parent' or both")
        return self


class Profile(_Frozen):
    """Everything prisme-drift knows about one platform."""

    name: str
    description: str
    aliases: tuple[str, ...] = ()
    collect: CollectSpec
    guard: GuardSpec = GuardSpec()
    secrets: tuple[SecretRule, ...] = ()
    secret_blocks: tuple[SecretBlock, ...] = ()
    noise: tuple[Regex, ...] = ()
    canonicalizers: tuple[str, ...] = ("strip_trailing_whitespace", "drop_blank_lines")
    comment_prefixes: tuple[str, ...] = ()
    indent: Literal["spaces"] = "spaces"
    hier_config_platform: str | None = None
    ordered_sections: tuple[Regex, ...] = ()
    categories: tuple[CategoryRule, ...] = ()
