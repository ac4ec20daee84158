"""The settings file ``init`` writes, generated from the settings models in ``config``.

One source of truth, as borgmatic generates its sample configuration from its schema: a key's
value is its default (or the caller's value), its comment is the field's description, a key with
no default is written commented out with its example, and a section that is off by default
(``[smtp]``, ``[webhook]``, ``[tickets.glpi]``) is written commented out whole. tomlkit writes
every key and value, so any text (a client name with quotes, backslashes or accents) is escaped.
"""

from __future__ import annotations

import sys
import textwrap
import typing
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import tomlkit
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from tomlkit.container import Container
from tomlkit.items import Comment, Table, Trivia

from prisme_drift.config import DEFAULT_POLL_EVERY, Settings
from prisme_drift.timefmt import DEFAULT_TIMEZONE

#: A key's comment starts at this column, as people aligned them by hand.
COMMENT_COLUMN = 33
WIDTH = 100
HEADER = (
    "prisme-drift settings, generated from the settings schema (docs/configuration.md).",
    "Relative paths resolve from this file's folder.",
)
#: Example values for a model that carries none itself (GLPI's settings live with its reader).
EXTRA_EXAMPLES: dict[str, dict[str, Any]] = {
    "tickets.glpi": {
        "url": "https://glpi.example.net/apirest.php",
        "user_token_file": "$CREDENTIALS_DIRECTORY/glpi-user-token",
        "app_token_file": "$CREDENTIALS_DIRECTORY/glpi-app-token",
        "ca_file": "glpi-ca.pem",
        "category_map": {"Réseau > VLAN": ["vlan"], "Réseau > Pare-feu": ["firewall", "nat"]},
    },
}

#: Section name -> key -> value; a value given here wins over the default and is written active.
Values = Mapping[str, Mapping[str, Any]]


def render_default(site: str, client: str = "", timezone: str = DEFAULT_TIMEZONE) -> str:
    """The settings file written by ``prisme-drift init``: every section, with comments."""
    values = {
        "site": {"name": site, "client": client, "timezone": timezone},
        "schedule": {"poll_every": DEFAULT_POLL_EVERY},
    }
    return render_settings(values)


def render_settings(values: Values, header: tuple[str, ...] = HEADER) -> str:
    """Every section of ``Settings`` as commented TOML, ``values`` overriding the defaults."""
    doc = tomlkit.document()
    for line in header:
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    off: list[tuple[str, type[BaseModel]]] = []
    for name, field in Settings.model_fields.items():
        model = _section_model(field)
        if model is None:
            continue  # ``source``: where the file was read from, not a key
        if field.is_required() or field.default is not None or name in values:
            doc.add(name, _table(name, model, values.get(name, {})))
        else:
            off.append((name, model))
    for name, model in off:
        for line in _commented_section(name, model, values.get(name, {})):
            doc.add(line)
        doc.add(tomlkit.nl())
    return tomlkit.dumps(doc).rstrip("\n") + "\n"


def _section_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a section field (``X`` or ``X | None``), None for a plain key."""
    annotation = field.annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _doc(model: type[BaseModel], doc: str | None = None) -> list[str]:
    """``doc``, else the model's docstring, as comment lines (reStructuredText quotes dropped)."""
    text = " ".join((doc or model.__doc__ or "").replace("``", "").split())
    return textwrap.wrap(text, WIDTH - 2)


def _table(path: str, model: type[BaseModel], values: Mapping[str, Any]) -> Table:
    """An active section: the docstring, then every key with its value and description."""
    table = tomlkit.table()
    for line in _doc(model):
        table.add(tomlkit.comment(line))
    nested: list[tuple[str, type[BaseModel], str | None]] = []
    for name, field in model.model_fields.items():
        sub = _section_model(field)
        if sub is not None:
            nested.append((name, sub, field.description))
            continue
        key, value = field.alias or name, _value(path, name, field, values)
        if name in values or (not field.is_required() and field.default is not None):
            _add_key(table, key, _plain(value), _comment(field))
        else:
            _add_lines(table, _key_lines(key, _plain(value), _comment(field)))
    for name, sub, doc in nested:
        for line in _commented_section(f"{path}.{name}", sub, values.get(name, {}), doc):
            table.add(line)
    table.add(tomlkit.nl())
    return table


def _commented_section(
    path: str, model: type[BaseModel], values: Mapping[str, Any], doc: str | None = None
) -> list[Any]:
    """A section that is off by default, written as comments to uncomment; the examples win
    over the defaults there, to show what a real section holds."""
    lines: list[Any] = [tomlkit.comment(line) for line in _doc(model, doc)]
    lines.append(tomlkit.comment(f"[{path}]"))
    for name, field in model.model_fields.items():
        value = _plain(_value(path, name, field, values, example_first=True))
        lines += _key_lines(field.alias or name, value, _comment(field))
    return lines


def _value(
    path: str,
    name: str,
    field: FieldInfo,
    values: Mapping[str, Any],
    *,
    example_first: bool = False,
) -> Any:
    """The caller's value, else the default or the field's example; a missing one is a bug."""
    if name in values:
        return values[name]
    example = (field.examples or [EXTRA_EXAMPLES.get(path, {}).get(name)])[0]
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    value = (example, default) if example_first else (default, example)
    if value[0] is not None:
        return value[0]
    if value[1] is None:
        raise ValueError(f"[{path}] {name}: no default and no example to write")
    return value[1]


def _plain(value: Any) -> Any:
    """A settings value as TOML knows it: paths as text, tuples as arrays."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _comment(field: FieldInfo) -> str:
    """The description, led by the allowed values when the field takes a fixed set."""
    description = " ".join((field.description or "").split())
    choices = typing.get_args(field.annotation) if _is_literal(field.annotation) else ()
    if not choices:
        return description
    allowed = " | ".join(str(c) for c in choices)
    return f"{allowed}: {description}" if description else allowed


def _is_literal(annotation: Any) -> bool:
    return typing.get_origin(annotation) is typing.Literal


def _toml(value: Any) -> Any:
    """A tomlkit item for ``value``; mappings inline (``{a = 1}``), as one line needs."""
    if isinstance(value, Mapping):
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    return tomlkit.item(value)


def _add_key(table: Table, key: str, value: Any, comment: str) -> None:
    """An active ``key = value`` with its comment aligned at COMMENT_COLUMN (wrapped if long)."""
    item = _toml(value)
    text = f"{tomlkit.key(key).as_string()} = {item.as_string()}"
    first, rest = _wrap(comment, len(text))
    if first:
        item.comment(first)
        item.trivia.comment_ws = " " * max(2, COMMENT_COLUMN - 1 - len(text))
    table.add(key, item)
    _add_lines(table, [_aligned(line) for line in rest])


def _key_lines(key: str, value: Any, comment: str) -> list[Comment]:
    """``# key = value  # comment`` lines for a key to uncomment."""
    text = f"{tomlkit.key(key).as_string()} = {_toml(value).as_string()}"
    line = "# " + text
    first, rest = _wrap(comment, len(line))
    if first:
        line += " " * max(2, COMMENT_COLUMN - 1 - len(line)) + "# " + first
    return [Comment(Trivia(comment=line)), *(_aligned(r) for r in rest)]


def _wrap(comment: str, used: int) -> tuple[str, list[str]]:
    """The comment's first line (beside a key taking ``used`` columns) and the rest."""
    if not comment:
        return "", []
    start = max(COMMENT_COLUMN - 1, used + 2)
    lines = textwrap.wrap(comment, max(30, WIDTH - start - 2))
    return lines[0], lines[1:]


def _aligned(text: str) -> Comment:
    """A comment line continuing a key's comment, at the comment column."""
    return Comment(Trivia(indent=" " * (COMMENT_COLUMN - 1), comment=f"# {text}"))


def _add_lines(table: Table | Container, lines: list[Comment]) -> None:
    for line in lines:
        table.add(line)


#: The header of ``prisme-drift.toml.example``, the repository root's own site settings.
EXAMPLE_HEADER = (
    "Example settings: the repository root is a site folder for the example clinic of",
    "inventory/ (hosts.yaml, groups.yaml, defaults.yaml); its git baseline goes in baselines/.",
    "Generated from the settings schema by `python -m prisme_drift.settings_file example`.",
    "",
    "`prisme-drift -c prisme-drift.toml.example check` lists what is left to fill in:",
    "  - inventory/hosts.yaml: each device's real address (192.0.2.x are documentation examples);",
    "  - credentials.yaml: copy credentials.yaml.example, chmod 600, add the read-only passwords;",
    "  - then copy this file to prisme-drift.toml, set [site] name and client, and uncomment",
    "    [smtp] to receive the alerts (docs/configuration.md describes every key).",
)
#: The example values written active in ``prisme-drift.toml.example``.
EXAMPLE_VALUES: dict[str, dict[str, Any]] = {
    "site": {"name": "cabinet-dupont", "client": "Cabinet Dupont"},
    "inventory": {"credentials": "credentials.yaml"},
    "schedule": {"poll_every": DEFAULT_POLL_EVERY},
}


def render_example() -> str:
    """``prisme-drift.toml.example``: the defaults, with the example clinic's values."""
    return render_settings(EXAMPLE_VALUES, EXAMPLE_HEADER)


def main(argv: list[str] | None = None) -> int:
    """Print the example settings (``example``) or the default ones (``default SITE``)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["example"]:
        sys.stdout.write(render_example())
    elif args[:1] == ["default"] and len(args) == 2:
        sys.stdout.write(render_default(args[1]))
    else:
        sys.stderr.write("usage: python -m prisme_drift.settings_file example | default SITE\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
