"""RouterOS configuration: sections of ``add``/``set`` entries, ``/export`` and item selection.

The configuration is kept as ``/export terse show-sensitive`` prints it, without the ``#``
header: one line per entry with its section path, properties in alphabetical order. What the
lab knows of RouterOS (sections and their ``/export`` order, built-in items, sensitive
properties, hardware per model) is data: ``lab/data/routeros_schema.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

from prisme_drift_lab.common import read_data

_WRAP = 80  # /export (not terse) breaks lines with " \" around this column


def bad_command(word: str, column: int) -> str:
    """RouterOS's answer to an unknown menu or command."""
    return f"bad command name {word} (line 1 column {column})"


def end_expected(column: int) -> str:
    """RouterOS's answer to an argument it does not expect."""
    return f"expected end of command (line 1 column {column})"


# -- schema ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A config menu: ``list`` (``add`` items), ``single`` (one ``set``) or ``items``."""

    path: str
    kind: str
    builtins: tuple[dict[str, str], ...] = ()
    selector: str = ""  # how ``/export`` names a built-in item, e.g. ``[ find default=yes ]``

    def builtin_selector(self, item: dict[str, str]) -> str:
        """The selector ``/export`` writes for a built-in item."""
        return self.selector.format_map(item)


@dataclass(frozen=True)
class Schema:
    """What the lab knows of RouterOS (see ``routeros_schema.json``)."""

    sections: dict[str, Section]
    info: frozenset[str]
    sensitive: frozenset[str]
    defaults: dict[str, str]
    models: dict[str, dict[str, str]]

    def order(self, path: str) -> int:
        """Position of a section in ``/export``."""
        paths = list(self.sections)
        return paths.index(path) if path in paths else len(paths)

    @property
    def menus(self) -> frozenset[tuple[str, ...]]:
        """Every menu path (sections, read-only menus and all their parents) as words."""
        return _menus(tuple(self.sections) + tuple(self.info))


@cache
def _menus(paths: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    words = [tuple(p.strip("/").split()) for p in paths]
    return frozenset(w[:i] for w in words for i in range(1, len(w) + 1))


@cache
def schema() -> Schema:
    """The schema in ``lab/data/routeros_schema.json``."""
    data = json.loads(read_data("routeros_schema.json"))
    sections = {}
    for path, kind in data["sections"]:
        builtins = data["builtins"].get(path, {})
        sections[path] = Section(
            path, kind, tuple(builtins.get("items", ())), builtins.get("selector", "")
        )
    return Schema(
        sections=sections,
        info=frozenset(data["info"]),
        sensitive=frozenset(data["sensitive"]),
        defaults=dict(data["defaults"]),
        models=data["models"],
    )


# -- words ----------------------------------------------------------------------------------------

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(rf"\[(?:[^\]\"]|{_QUOTED})*\]|(?:[^\s\"\[]|{_QUOTED})+")
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9._:/,!@+*%&^<>|-]+")


@dataclass(frozen=True)
class Token:
    """A word of a console line and its 1-based column."""

    text: str
    column: int


def tokenize(line: str) -> list[Token] | int:
    """The words of a console line, or the column of a syntax error (open quote/bracket)."""
    tokens: list[Token] = []
    position = 0
    for m in _TOKEN.finditer(line):
        gap = line[position : m.start()]
        if gap.strip():
            return position + len(gap) - len(gap.lstrip()) + 1
        tokens.append(Token(m.group(0), m.start() + 1))
        position = m.end()
    rest = line[position:]
    return position + len(rest) - len(rest.lstrip()) + 1 if rest.strip() else tokens


def unquote(value: str) -> str:
    """``"a b"`` -> ``a b`` (RouterOS escapes: ``\\"``, ``\\\\``, ``\\$``, ``\\?``)."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def quote(value: str) -> str:
    """A value as ``/export`` writes it: bare when it can be, quoted otherwise."""
    if _PLAIN_VALUE.fullmatch(value):
        return value
    return '"' + re.sub(r'(["\\$?])', r"\\\1", value) + '"'


def split_property(text: str) -> tuple[str, str] | None:
    """``comment="a b"`` -> (``comment``, ``a b``); None if ``text`` is not ``key=value``."""
    m = re.fullmatch(r"([a-z0-9][a-z0-9.-]*)=(.*)", text, flags=re.S)
    return (m.group(1), unquote(m.group(2))) if m else None


# -- config model ---------------------------------------------------------------------------------


@dataclass
class Entry:
    """One ``add`` (an item) or ``set`` (a single menu, or a changed built-in item) line."""

    verb: str
    selector: str = ""
    props: dict[str, str] = field(default_factory=dict)

    def words(self, sensitive: bool = True) -> list[str]:
        """The entry's words as ``/export`` writes them (properties sorted)."""
        shown = [
            f"{k}={quote(v)}"
            for k, v in sorted(self.props.items())
            if sensitive or k not in schema().sensitive
        ]
        return [self.verb, *([self.selector] if self.selector else []), *shown]


Config = dict[str, list[Entry]]


def _entry(tokens: Sequence[str]) -> Entry | None:
    if not tokens or tokens[0] not in ("add", "set"):
        return None
    entry, rest = Entry(tokens[0]), list(tokens[1:])
    if entry.verb == "set" and rest and split_property(rest[0]) is None:
        entry.selector = re.sub(r"\s+", " ", rest.pop(0).replace("[", "[ ").replace("]", " ]"))
    for token in rest:
        prop = split_property(token)
        if prop is not None:
            entry.props[prop[0]] = prop[1]
    return entry


def _logical_lines(text: str) -> Iterator[str]:
    """Lines of an export with ``\\`` continuations joined, comments and blanks dropped."""
    pending = ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = (pending + raw.lstrip()) if pending else raw.rstrip()
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.strip()


def parse_export(text: str) -> Config:
    """An ``/export`` (terse or not) as a config; unknown sections are kept as given."""
    config: Config = {}
    section = ""
    for line in _logical_lines(text):
        tokens = tokenize(line)
        words = [t.text for t in tokens] if isinstance(tokens, list) else line.split()
        if words[0].startswith("/"):
            path_words = [words[0][1:], *words[1:]]
            size = next((i for i, w in enumerate(path_words) if w in ("add", "set")), None)
            if size is None:
                section = "/" + " ".join(path_words)
                continue
            section, words = "/" + " ".join(path_words[:size]), path_words[size:]
        entry = _entry(words)
        if entry is not None and section:
            config.setdefault(section, []).append(entry)
    return config


def _ordered(config: Config, under: str = "") -> Iterator[tuple[str, list[Entry]]]:
    for path in sorted(config, key=schema().order):
        if config[path] and (path == under or path.startswith(under + " ") or not under):
            sets = [e for e in config[path] if e.verb == "set"]
            yield path, sets + [e for e in config[path] if e.verb != "set"]


def render_terse(config: Config, sensitive: bool = True, under: str = "") -> str:
    """``/export terse``: one line per entry, with its section path."""
    return "".join(
        f"{path} {' '.join(entry.words(sensitive))}\n"
        for path, entries in _ordered(config, under)
        for entry in entries
    )


def _pieces(words: list[str]) -> Iterator[tuple[str, bool]]:
    """The pieces /export may break between: (text, whether it ends with ``=``)."""
    for word in words:
        key, sep, value = word.partition("=")
        if sep and value and not word.startswith("["):
            yield key + "=", True
            yield value, False
        else:
            yield word, False


def wrap(words: list[str], width: int = _WRAP) -> list[str]:
    """One entry as /export writes it: broken with ``\\`` before ~80 columns, indented by 4."""
    lines: list[str] = []
    line, glue = "", ""
    for piece, opens_value in _pieces(words):
        candidate = line + glue + piece if line else piece
        if line and len(candidate) + 2 > width:
            lines.append(line + ("\\" if not glue else " \\"))
            candidate = "    " + piece
        line = candidate
        glue = "" if opens_value else " "
    lines.append(line)
    return lines


def render_export(config: Config, sensitive: bool = True, under: str = "") -> str:
    """``/export``: a header line per section, then its entries, long lines wrapped."""
    out: list[str] = []
    for path, entries in _ordered(config, under):
        out.append(path)
        for entry in entries:
            out += wrap(entry.words(sensitive))
    return "".join(line + "\n" for line in out)


def canonical(config: Config) -> str:
    """The stored form of a config (what :meth:`LabDevice.running_config` returns)."""
    return render_terse(config)


# -- items and selectors --------------------------------------------------------------------------


@dataclass
class Item:
    """One item of a list menu, as ``print`` numbers it: a built-in one or an ``add`` entry."""

    props: dict[str, str]
    entry: Entry | None  # the add entry, or the set entry of a changed built-in item
    builtin: dict[str, str] | None = None


def items(config: Config, path: str) -> list[Item]:
    """The items of a menu in ``print`` order: built-in ones first."""
    section = schema().sections[path]
    entries = config.get(path, [])
    found: list[Item] = []
    for builtin in section.builtins:
        selector = section.builtin_selector(builtin)
        entry = next((e for e in entries if e.verb == "set" and e.selector == selector), None)
        found.append(Item({**builtin, **(entry.props if entry else {})}, entry, builtin))
    found += [Item(dict(e.props), e) for e in entries if e.verb == "add"]
    return found


def _find_matches(expression: str, props: dict[str, str]) -> bool:
    """``[ find where comment="x" and chain=dstnat ]`` on one item's properties."""
    body = expression.strip("[] ").removeprefix("find").strip()
    tokens = tokenize(body)
    for token in tokens if isinstance(tokens, list) else ():
        m = re.fullmatch(r"([a-z0-9-]+)(!=|=|~)(.*)", token.text, flags=re.S)
        if m is None:
            if token.text not in ("where", "and"):
                return False
            continue
        key, op, value = m.group(1), m.group(2), unquote(m.group(3))
        actual = props.get(key, schema().defaults.get(key, ""))
        ok = re.search(value, actual) is not None if op == "~" else actual == value
        if ok == (op == "!="):
            return False
    return True


def select(found: list[Item], selector: str) -> list[int] | None:
    """Indexes of the items a selector names (numbers, names, ``[find ...]``); None: no such."""
    if selector.startswith("["):
        return [i for i, item in enumerate(found) if _find_matches(selector, item.props)]
    indexes: list[int] = []
    for part in selector.split(","):
        if part.isdigit() and int(part) < len(found):
            indexes.append(int(part))
            continue
        named = [i for i, item in enumerate(found) if item.props.get("name") == part]
        if not named:
            return None
        indexes += named
    return indexes


def set_props(config: Config, path: str, item: Item, changes: dict[str, str]) -> None:
    """Change an item's properties; values back at their default disappear from /export."""
    section = schema().sections[path]
    if item.builtin is not None and item.entry is None:
        item.entry = Entry("set", section.builtin_selector(item.builtin))
        config.setdefault(path, []).append(item.entry)
    assert item.entry is not None
    for key, value in changes.items():
        default = (item.builtin or {}).get(key, schema().defaults.get(key))
        if value == default:
            item.entry.props.pop(key, None)
        else:
            item.entry.props[key] = value
    if item.builtin is not None and not item.entry.props:
        config[path].remove(item.entry)


def set_single(config: Config, path: str, changes: dict[str, str]) -> None:
    """``set`` on a single menu (``/system identity set name=...``)."""
    entries = config.setdefault(path, [])
    entry = next((e for e in entries if e.verb == "set"), None)
    if entry is None:
        entry = Entry("set")
        entries.insert(0, entry)
    entry.props.update(changes)


def add_entry(config: Config, path: str, props: dict[str, str], before: Item | None) -> None:
    """``add`` (at the end, or before another item with ``place-before``)."""
    entries = config.setdefault(path, [])
    entry = Entry("add", props={k: v for k, v in props.items() if schema().defaults.get(k) != v})
    if before is not None and before.entry in entries:
        entries.insert(entries.index(before.entry), entry)
    else:
        entries.append(entry)


def move_entries(config: Config, path: str, moving: list[Item], before: Item | None) -> None:
    """``move``: the items go before ``before`` (at the end when None)."""
    entries = config[path]
    chosen = [item.entry for item in moving if item.entry in entries]
    remaining = [e for e in entries if all(e is not c for c in chosen)]
    target = before.entry if before is not None and before.entry in remaining else None
    index = next((i for i, e in enumerate(remaining) if e is target), len(remaining))
    config[path] = remaining[:index] + [c for c in chosen if c is not None] + remaining[index:]
