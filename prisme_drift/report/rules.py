"""Audit rules are data: one YAML file per category in the package, overridable per site.

A rule selects items of a *subject* (a section of the device state such as ``management`` or
``firewall_policies``, or a site-level analysis such as ``vlan_issues``) whose fields satisfy
``where``, and makes one finding per item, with the first configuration line matching
``evidence`` as proof. A site's ``rules/<category>.yaml`` merges with the package's file by rule
id: same id replaces, ``enabled: false`` disables, a new id adds.

``where`` values: a scalar (equal), a list (one of), or one operator mapping:
``{matches: REGEX}``, ``{any_of: [...]}`` (a list field holds one of them), ``{empty: bool}``,
``{secret_in: [...]}`` (a fingerprinted field is the fingerprint of one of these values, e.g.
the default SNMP communities), ``{not: VALUE}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prisme_drift.errors import ConfigError
from prisme_drift.yamlio import load_yaml

PACKAGE_RULES = Path(__file__).parent / "rules"
SEVERITIES = ("high", "medium", "low", "info")
Severity = Literal["high", "medium", "low", "info"]
Item = Mapping[str, Any]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Frozen):
    """A sentence in each language; ``{field}`` placeholders take the item's values."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        """The sentence in ``lang`` (English when the language is unknown)."""
        return self.fr if lang == "fr" else self.en


class Rule(_Frozen):
    """One audit rule (see the module docstring)."""

    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")]
    severity: Severity
    subject: Annotated[str, Field(min_length=1)]
    where: dict[str, Any] = {}
    platforms: tuple[str, ...] = ()  # only these platforms (empty: all)
    evidence: str | None = None  # regex, ``{field}`` placeholders, matched per line
    title: Text
    detail: Text | None = None
    recommendation: Text
    enabled: bool = True


class RuleFile(_Frozen):
    """A ``<category>.yaml`` file."""

    category: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """Every enabled rule, with its category, in file then rule order."""

    rules: tuple[tuple[str, Rule], ...]

    def ids(self) -> list[str]:
        """Ids of the enabled rules."""
        return [rule.id for _, rule in self.rules]


def _read(path: Path) -> RuleFile:
    data = load_yaml(path, what="audit rules file")
    try:
        return RuleFile.model_validate(data or {})
    except ValidationError as exc:
        problems = [
            f"{path}: [{'.'.join(str(p) for p in e['loc'])}] {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError(f"{path}: invalid audit rules file", problems=problems) from None


def _check_regexes(path: Path, rule: Rule) -> None:
    patterns = [rule.evidence] if rule.evidence else []
    patterns += [
        v["matches"] for v in rule.where.values() if isinstance(v, dict) and "matches" in v
    ]
    for pattern in patterns:
        try:
            re.compile(pattern.format_map(_Fields()) if pattern is rule.evidence else pattern)
        except (re.error, ValueError, IndexError) as exc:
            raise ConfigError(
                f"{path}: rule {rule.id}: {pattern!r} is not a regular expression ({exc}); "
                "in 'evidence', write literal braces as {{ and }}"
            ) from None


def load_rules(site_folder: Path | None = None) -> RuleSet:
    """The package's rules merged with a site's ``rules/`` folder (by rule id)."""
    merged: dict[str, dict[str, Rule]] = {}
    folders = [PACKAGE_RULES] + ([site_folder] if site_folder and site_folder.is_dir() else [])
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            rule_file = _read(path)
            if rule_file.category != path.stem:
                raise ConfigError(
                    f"{path}: category {rule_file.category!r} differs from the file name; "
                    f"name the file {rule_file.category}.yaml"
                )
            for rule in rule_file.rules:
                _check_regexes(path, rule)
                merged.setdefault(rule_file.category, {})[rule.id] = rule
    rules = tuple(
        (category, rule)
        for category, by_id in merged.items()
        for rule in by_id.values()
        if rule.enabled
    )
    return RuleSet(rules)


# -- matching -----------------------------------------------------------------------------------
Fingerprint = Callable[[str], str]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _lower(values: Iterable[Any]) -> set[str]:
    return {str(v).lower() for v in values}


def _operator(op: Mapping[str, Any], value: Any, fingerprint: Fingerprint | None) -> bool:
    ((name, arg),) = op.items()
    if name == "matches":
        return value is not None and re.search(str(arg), str(value)) is not None
    if name == "any_of":
        return bool(_lower(_as_list(value or [])) & _lower(_as_list(arg)))
    if name == "empty":
        return (not value) == bool(arg)
    if name == "secret_in":
        return fingerprint is not None and value in {fingerprint(str(a)) for a in _as_list(arg)}
    if name == "not":
        return not _matches_value(arg, value, fingerprint)
    raise ConfigError(f"unknown operator {name!r} in an audit rule (see docs/reports.md)")


def _matches_value(expected: Any, value: Any, fingerprint: Fingerprint | None) -> bool:
    if isinstance(expected, dict):
        return _operator(expected, value, fingerprint)
    if isinstance(expected, list):
        return any(_matches_value(e, value, fingerprint) for e in expected)
    if isinstance(expected, str) and isinstance(value, str):
        return expected.lower() == value.lower()
    return bool(expected == value)


def matches(rule: Rule, item: Item, fingerprint: Fingerprint | None = None) -> bool:
    """Whether an item satisfies the rule's platform filter and every ``where`` condition."""
    if rule.platforms and item.get("platform") not in rule.platforms:
        return False
    return all(_matches_value(exp, item.get(key), fingerprint) for key, exp in rule.where.items())


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, item: Item) -> str:
    """``{field}`` placeholders replaced by the item's values (lists joined, missing empty)."""
    values = _Fields(
        {
            k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else ("" if v is None else v)
            for k, v in item.items()
        }
    )
    return template.format_map(values)


def evidence_line(rule: Rule, item: Item, config_lines: Sequence[str]) -> tuple[int, str] | None:
    """The first configuration line (1-based number, text) that shows the finding."""
    if not rule.evidence:
        return None
    escaped = _Fields({k: re.escape(str(v)) for k, v in item.items() if not isinstance(v, list)})
    pattern = re.compile(rule.evidence.format_map(escaped))
    for number, line in enumerate(config_lines, start=1):
        if pattern.search(line):
            return number, line.strip()
    return None
