"""YAML reading that refuses what PyYAML silently accepts (duplicate keys), and whose errors
never quote a file's content unless asked: the credentials file and the inventory hold
passwords, and a syntax error is most often on the very line that holds one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from prisme_drift.errors import ConfigError


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key defined twice in one mapping; its message names the key (a key is no secret)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on a key defined twice in one mapping (a duplicated host)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(
                None,
                None,
                f"key {key!r} is defined twice (first on line {seen[key] + 1}); keep one",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

#: The same strict loader over libyaml's C parser when PyYAML was built with it: about eight
#: times faster (the built-in profiles are read at every start). A document it refuses is read
#: again by the pure-Python loader, so every error message stays the one described below.
_FastLoader: type[Any] = _StrictLoader
if yaml.__with_libyaml__:

    class _CStrictLoader(yaml.CSafeLoader):
        """CSafeLoader that raises on a key defined twice in one mapping."""

    _CStrictLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
    )
    _FastLoader = _CStrictLoader


def parse_yaml(text: str) -> Any:
    """``text`` parsed strictly (a key defined twice is refused); raises ``yaml.YAMLError``
    with the pure-Python parser's message and marks when the document is invalid."""
    if _FastLoader is not _StrictLoader:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError:
            pass  # read again below, for the message and the marks users already know
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


# A quoted value in a PyYAML problem text ("found undefined alias 'x'", "the tag '!x'") comes
# from the file; single characters ("found character '\\t'") and token names ("'<scalar>'")
# do not.
_QUOTED = re.compile(r"'([^']*)'")
_HARMLESS = re.compile(r"^(?:.|\\.|\\x[0-9a-f]{2}|<[a-z ]+>)$")


def _unquoted(text: str) -> str:
    def keep(match: re.Match[str]) -> str:
        return match.group(0) if _HARMLESS.match(match.group(1)) else "(value not shown)"

    return _QUOTED.sub(keep, text)


def describe_yaml_error(path: Path, what: str, exc: yaml.YAMLError) -> str:
    """``path, line L, column C: invalid YAML in <what>: <problem>``, without the line's text."""
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"{path}, character {exc.position + 1}: {what} is not valid UTF-8 text or holds "
            "a control character; save it as plain UTF-8"
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"{path}: invalid YAML in {what} ({type(exc).__name__})"
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
    problem = exc.problem or type(exc).__name__
    if not isinstance(exc, DuplicateKeyError):
        problem = _unquoted(problem)
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        problem += f" ({_unquoted(exc.context)} started on line {exc.context_mark.line + 1})"
    return (
        f"{where}: invalid YAML in {what}: {problem} (the line is not shown: it may hold a secret)"
    )


def load_yaml(path: Path, *, what: str, missing_ok: bool = False, quote: bool = False) -> Any:
    """Parse a YAML file strictly; errors name the file, line and column, and quote the
    offending line only with ``quote`` (never for a file that may hold a secret)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        if missing_ok:
            return None
        raise ConfigError(f"{path}: {what} not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc
    return parse_yaml_file(path, text, what=what, quote=quote)


def parse_yaml_file(path: Path, text: str | bytes, *, what: str, quote: bool = False) -> Any:
    """``load_yaml`` of a file whose text (or UTF-8 bytes) was read already, same errors."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        if quote:
            raise ConfigError(f"{path}: invalid YAML in {what}: {exc}") from exc
        raise ConfigError(describe_yaml_error(path, what, exc)) from None


# -- one parse, two readings ---------------------------------------------------------------
# Nornir's SimpleInventory reads its files with ruamel.yaml (YAML 1.2: ``yes`` is text, ``0o17``
# is 15), without a C parser here; our checks read them with the strict PyYAML loader above
# (YAML 1.1: ``yes`` is true). ``parse_yaml_both`` parses once with libyaml, keeps every plain
# scalar's text, and types it twice: as the strict loader would, and as ruamel would.

_PLAIN = "tag:prisme-drift,2026:plain"


class _Plain(str):
    """The text of a plain (unquoted, untagged) scalar, typed later by each reading."""


class _PlainLoader(_FastLoader):  # type: ignore[misc]
    """The strict fast loader, leaving plain scalars (but merge keys) untyped."""

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value != "<<":
            return _PLAIN
        tag: str = super().resolve(kind, value, implicit)
        return tag


_PlainLoader.add_constructor(_PLAIN, lambda _loader, node: _Plain(node.value))


class _Reading:
    """Types plain scalars with one resolver and constructor (memoized: values repeat)."""

    def __init__(self, resolve: Any, construct: Any, node: Any) -> None:
        self._resolve, self._construct, self._node = resolve, construct, node
        self._seen: dict[str, Any] = {}

    def scalar(self, text: str) -> Any:
        if text not in self._seen:
            tag = self._resolve(self._node, text, (True, False))
            self._seen[text] = self._construct(self._node(tag, text), deep=True)
        return self._seen[text]

    def typed(self, data: Any) -> Any:
        if isinstance(data, _Plain):
            return self.scalar(str(data))
        if isinstance(data, list):
            return [self.typed(item) for item in data]
        if isinstance(data, dict):
            out = {self.typed(k): self.typed(v) for k, v in data.items()}
            if len(out) != len(data):  # two keys that read the same: "yes" and "Yes"
                raise ValueError("keys collide once typed")
            return out
        return data


def _pyyaml_reading() -> _Reading:
    return _Reading(
        yaml.resolver.Resolver().resolve,
        yaml.constructor.SafeConstructor().construct_object,
        yaml.ScalarNode,
    )


def _ruamel_reading() -> _Reading:
    import ruamel.yaml  # Nornir's own YAML library
    import ruamel.yaml.nodes

    reader = ruamel.yaml.YAML(typ="safe", pure=True)
    return _Reading(
        reader.resolver.resolve, reader.constructor.construct_object, ruamel.yaml.nodes.ScalarNode
    )


def parse_yaml_both(text: str) -> tuple[Any, Any]:
    """``(parse_yaml(text), what Nornir's SimpleInventory reads in text)`` from one parse.

    A document the quick path cannot read exactly (a ``%YAML`` directive, an error, keys that
    collide once typed) is parsed by each library, so both readings stay the exact ones.
    """
    if not text.lstrip().startswith("%"):
        try:
            raw = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
            return _pyyaml_reading().typed(raw), _ruamel_reading().typed(raw)
        except (yaml.YAMLError, ValueError, TypeError):
            pass
    import ruamel.yaml

    strict = parse_yaml(text)
    return strict, ruamel.yaml.YAML(typ="safe", pure=True).load(text)


def reading_differences(strict: Any, nornir: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where the two readings of ``parse_yaml_both`` disagree: ``(key path, strict, Nornir's)``.

    ``port: 022`` is 18 to YAML 1.1 and 22 to YAML 1.2; ``yes`` is true to one and text to the
    other. The checks would validate one value while Nornir connects with the other.
    """
    if isinstance(strict, dict) and isinstance(nornir, dict) and len(strict) == len(nornir):
        found: list[tuple[str, Any, Any]] = []
        for (k1, v1), (k2, v2) in zip(strict.items(), nornir.items(), strict=True):
            where = f"{path}.{k2}" if path else str(k2)
            if k1 != k2 or type(k1) is not type(k2):
                found.append((f"{path}.(key {k2!s})" if path else f"(key {k2!s})", k1, k2))
            found += reading_differences(v1, v2, where)
        return found
    if isinstance(strict, list) and isinstance(nornir, list) and len(strict) == len(nornir):
        return [
            diff
            for index, (a, b) in enumerate(zip(strict, nornir, strict=True))
            for diff in reading_differences(a, b, f"{path}[{index}]")
        ]
    if strict != nornir or type(strict) is not type(nornir):
        return [(path or "(document)", strict, nornir)]
    return []


def load_yaml_both(path: Path, *, what: str, missing_ok: bool = False) -> tuple[Any, Any]:
    """``load_yaml(path)`` and Nornir's reading of the same file (``parse_yaml_both``), with
    ``load_yaml``'s errors; ``(None, None)`` for a missing file with ``missing_ok``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        if missing_ok:
            return None, None
        raise ConfigError(f"{path}: {what} not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return parse_yaml_both(text)
    except yaml.YAMLError as exc:
        raise ConfigError(describe_yaml_error(path, what, exc)) from None
    except Exception as exc:  # ruamel's own errors, on what PyYAML accepted
        raise ConfigError(f"{path}: Nornir cannot read {what}: {type(exc).__name__}") from None
