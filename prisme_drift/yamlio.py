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
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        if quote:
            raise ConfigError(f"{path}: invalid YAML in {what}: {exc}") from exc
        raise ConfigError(describe_yaml_error(path, what, exc)) from None
