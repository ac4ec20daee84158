"""FortiOS configuration: the ``config``/``edit``/``set``/``next``/``end`` tree and its edits.

The configuration is kept as ``show`` prints it (four spaces per level, ``end`` closing a
``config`` block and ``next`` an ``edit`` entry) and parsed with :mod:`prisme_drift_lab.tree`.
What the grammar knows about FortiOS (top-level paths and their order, tables versus single
blocks, quoted attributes, secrets) is data: ``lab/data/fortios_schema.json``.

Secrets are stored as ``ENC <token>`` with a stable salt; :func:`resalt_secrets` gives them a
new salt for each display, as FortiOS does. Admin passwords are one-way ``ENC SH2...`` hashes,
which FortiOS shows unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from prisme_drift_lab.common import read_data, stable_bytes
from prisme_drift_lab.tree import Node, parse, prune, render

INDENT = 4
Op = Callable[[list[Node]], None]
Editor = Callable[[Callable[[str], str]], bool]


def parse_error(word: str) -> str:
    """FortiOS's answer to a line it cannot parse."""
    return f"command parse error before '{word}'\nCommand fail. Return code -61"


def not_found(entry: str) -> str:
    """FortiOS's answer to ``delete``/``move`` of an entry that does not exist."""
    return (
        "entry not found in datasource\n\n"
        f"value parse error before '{entry}'\nCommand fail. Return code -3"
    )


# -- schema ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schema:
    """What the lab knows of the FortiOS CLI (see ``fortios_schema.json``)."""

    paths: tuple[str, ...]
    singletons: frozenset[str]
    quoted: frozenset[str]
    secrets: frozenset[str]
    hashed: dict[str, frozenset[str]]
    uuid_tables: frozenset[str]

    def order(self, path: str) -> int:
        """Position of a top-level block in ``show`` output."""
        return self.paths.index(path) if path in self.paths else len(self.paths)

    def longest_path(self, words: Sequence[str]) -> int:
        """How many of ``words`` name a known top-level path (0: none)."""
        for size in range(len(words), 0, -1):
            if " ".join(words[:size]) in self.paths:
                return size
        return 0


@cache
def schema() -> Schema:
    """The schema in ``lab/data/fortios_schema.json``."""
    data = json.loads(read_data("fortios_schema.json"))
    return Schema(
        paths=tuple(data["paths"]),
        singletons=frozenset(data["singletons"]),
        quoted=frozenset(data["quoted"]),
        secrets=frozenset(data["secrets"]),
        hashed={k: frozenset(v) for k, v in data["hashed"].items()},
        uuid_tables=frozenset(data["uuid"]),
    )


# -- secrets --------------------------------------------------------------------------------------

_LAB_KEY = b"prisme-drift lab FortiOS key"
_SALT, _MAC, _BODY = 4, 4, 112


def _keystream(salt: bytes, size: int) -> bytes:
    return stable_bytes(_LAB_KEY.hex(), salt.hex(), length=size)


def encrypt(plain: str, salt: bytes) -> str:
    """A reversible FortiOS-looking ``ENC`` token (base64 of salt, padded cipher text, MAC)."""
    data = plain.encode("utf-8")[: _BODY - 1]
    body = bytes([len(data)]) + data + stable_bytes("pad", salt.hex(), length=_BODY - 1 - len(data))
    cipher = bytes(a ^ b for a, b in zip(body, _keystream(salt, _BODY), strict=True))
    mac = hmac.new(_LAB_KEY, salt + cipher, hashlib.sha256).digest()[:_MAC]
    return base64.b64encode(salt + cipher + mac).decode("ascii")


def decrypt(token: str) -> str | None:
    """The secret in a token made by :func:`encrypt`; None for any other token."""
    try:
        raw = base64.b64decode(token, validate=True)
    except ValueError:
        return None
    if len(raw) != _SALT + _BODY + _MAC:
        return None
    salt, cipher, mac = raw[:_SALT], raw[_SALT:-_MAC], raw[-_MAC:]
    expected = hmac.new(_LAB_KEY, salt + cipher, hashlib.sha256).digest()[:_MAC]
    if not hmac.compare_digest(mac, expected):
        return None
    body = bytes(a ^ b for a, b in zip(cipher, _keystream(salt, _BODY), strict=True))
    return body[1 : 1 + body[0]].decode("utf-8", errors="replace")


def stored_secret(plain: str) -> str:
    """The token kept in the config for a secret: its salt derives from the secret."""
    return encrypt(plain, stable_bytes("stored", plain, length=_SALT))


def lab_uuid(*parts: object) -> str:
    """A version-5-looking uuid, stable for ``parts`` (FortiOS stamps policies and objects)."""
    raw = stable_bytes("uuid", *parts, length=16).hex()
    return f"{raw[:8]}-{raw[8:12]}-5{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"


def admin_hash(plain: str) -> str:
    """``SH2`` + base64(salt + SHA-256(salt + password)): FortiOS's one-way admin hash."""
    salt = stable_bytes("sh2", plain, length=12)
    return "SH2" + base64.b64encode(salt + hashlib.sha256(salt + plain.encode()).digest()).decode()


_ENC = re.compile(r"(?<=\bENC )(?!SH2)(\S+)")


def resalt_secrets(text: str, salt: Callable[[int], bytes]) -> str:
    """Every reversible ``ENC`` token of ``text`` encrypted again with ``salt(n)`` (n-th one).

    Tokens that the lab did not make (pasted from a real device) are left as they are.
    """
    count = iter(range(1 << 30))

    def again(m: re.Match[str]) -> str:
        plain = decrypt(m.group(1))
        return m.group(1) if plain is None else encrypt(plain, salt(next(count)))

    return _ENC.sub(again, text)


# -- text <-> tree --------------------------------------------------------------------------------


def _closer(node: Node) -> str | None:
    if node.text.startswith("config "):
        return "end"
    return "next" if node.text.startswith("edit ") else None


def parse_config(text: str) -> list[Node]:
    """FortiOS config text (``show`` output, header lines allowed) as a tree."""
    nodes = parse(text)
    return prune(nodes, lambda n: n.text in ("end", "next") or n.text.startswith("#"))


def render_config(nodes: Sequence[Node]) -> str:
    """Config text as FortiOS shows it."""
    return render(nodes, indent=INDENT, closer=_closer)


@dataclass(frozen=True)
class Word:
    """One word of a typed line, and whether it was typed in quotes."""

    text: str
    quoted: bool = False


_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|(\S+)')


def split_words(line: str) -> list[Word] | None:
    """The words of a CLI line; None if a quote is left open."""
    if line.count('"') % 2 or line.count("'") % 2:
        return None
    words: list[Word] = []
    for m in _WORD.finditer(line):
        if m.group(3) is not None:
            words.append(Word(m.group(3)))
        else:
            text = m.group(1) if m.group(1) is not None else m.group(2)
            words.append(Word(re.sub(r"\\(.)", r"\1", text), quoted=True))
    return words


def quote(text: str) -> str:
    """``"text"`` with inner quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text: str) -> str:
    """The value of a (possibly quoted) word as shown in the config."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def entry_line(name: str) -> str:
    """``edit 3`` or ``edit "internal"``."""
    return f"edit {name}" if name.isdigit() else f"edit {quote(name)}"


def entry_name(text: str) -> str:
    """``edit "internal"`` -> ``internal``."""
    return unquote(text.removeprefix("edit "))


def attr_key(text: str) -> str | None:
    """``set ip 1.2.3.4 255.0.0.0`` -> ``ip``."""
    parts = text.split(" ", 2)
    return parts[1] if len(parts) > 1 and parts[0] == "set" else None


def attr_words(text: str) -> list[Word]:
    """The value words of a ``set`` line."""
    return split_words(text.split(" ", 2)[2] if text.count(" ") >= 2 else "") or []


def set_line(top: str, key: str, values: Sequence[Word]) -> str:
    """The ``set`` line FortiOS stores for typed values: strings quoted, secrets encrypted."""
    if values[0].text == "ENC" and not values[0].quoted and len(values) > 1:
        return f"set {key} ENC {values[1].text}"
    if key in schema().secrets:
        plain = " ".join(v.text for v in values)
        hashed = key in schema().hashed.get(top, frozenset())
        return f"set {key} ENC {admin_hash(plain) if hashed else stored_secret(plain)}"
    shown = [
        quote(v.text) if key in schema().quoted or v.quoted or " " in v.text else v.text
        for v in values
    ]
    return f"set {key} {' '.join(shown)}"


# -- tree edits -----------------------------------------------------------------------------------


def _top_path(text: str) -> str:
    return text.removeprefix("config ")


def _insert_top(nodes: list[Node], node: Node) -> None:
    rank = schema().order(_top_path(node.text))
    position = next(
        (i for i, n in enumerate(nodes) if schema().order(_top_path(n.text)) > rank), len(nodes)
    )
    nodes.insert(position, node)


_LEADING = ("name", "uuid")  # FortiOS shows these first in an entry, in this order


def _rank(node: Node) -> int:
    if node.text.startswith("config "):
        return len(_LEADING) + 1
    key = attr_key(node.text)
    return _LEADING.index(key) if key in _LEADING else len(_LEADING)


def _insert_child(parent: Node, node: Node) -> None:
    """A new child in FortiOS order: ``name``, ``uuid``, other ``set`` lines, nested blocks."""
    rank = _rank(node)
    position = next(
        (i for i, c in enumerate(parent.children) if _rank(c) > rank), len(parent.children)
    )
    parent.children.insert(position, node)


def locate(nodes: list[Node], path: Sequence[str], create: bool = False) -> Node | None:
    """The node at ``path`` (config/edit node texts from the top), created on demand."""
    level, node = nodes, None
    for depth, text in enumerate(path):
        found = next((n for n in level if n.text == text), None)
        if found is None:
            if not create:
                return None
            found = Node(text)
            if depth == 0:
                _insert_top(level, found)
            elif node is not None:
                _insert_child(node, found)
        node, level = found, found.children
    return node


def set_attr(nodes: list[Node], path: Sequence[str], line: str) -> None:
    """Add or replace a ``set`` line at ``path``; a default value is not shown, as on FortiOS."""
    key = attr_key(line)
    if is_default(path, line):
        unset_attr(nodes, path, key or "")
        return
    node = locate(nodes, path, create=True)
    assert node is not None
    for child in node.children:
        if attr_key(child.text) == key:
            child.text = line
            return
    _insert_child(node, Node(line))


def unset_attr(nodes: list[Node], path: Sequence[str], key: str) -> None:
    """Remove the ``set <key>`` line at ``path`` (back to the default value)."""
    node = locate(nodes, path)
    if node is not None:
        node.children = [c for c in node.children if attr_key(c.text) != key]


def delete_entry(nodes: list[Node], path: Sequence[str], entry: str) -> None:
    """Remove an ``edit`` entry from the table at ``path``."""
    node = locate(nodes, path)
    if node is not None:
        node.children = [c for c in node.children if c.text != entry]


def move_entry(nodes: list[Node], path: Sequence[str], entry: str, where: str, other: str) -> None:
    """``move <entry> before|after <other>`` in the table at ``path``."""
    node = locate(nodes, path)
    if node is None:
        return
    moving = next((c for c in node.children if c.text == entry), None)
    if moving is None or entry == other:
        return
    node.children.remove(moving)
    index = next((i for i, c in enumerate(node.children) if c.text == other), None)
    if index is None:
        node.children.append(moving)
        return
    node.children.insert(index + (where == "after"), moving)


def entries(node: Node | None) -> list[str]:
    """The entry names of a table node."""
    return [entry_name(c.text) for c in node.children if c.text.startswith("edit ")] if node else []


# -- full-configuration ---------------------------------------------------------------------------


@cache
def _defaults() -> tuple[Node, ...]:
    return tuple(parse_config(read_data("fortios_defaults.conf")))


@cache
def _default_lines() -> dict[tuple[str, ...], frozenset[str]]:
    """Default ``set`` lines of top-level blocks (key: path) and of their entries (path, *)."""
    lines: dict[tuple[str, ...], frozenset[str]] = {}
    for block in _defaults():
        lines[(block.text,)] = frozenset(c.text for c in block.children)
        per_entry = block.find("edit *")
        if per_entry is not None:
            lines[(block.text, "*")] = frozenset(c.text for c in per_entry.children)
    return lines


def is_default(path: Sequence[str], line: str) -> bool:
    """Whether ``line`` sets a default value at ``path`` (top-level blocks and their entries)."""
    key = tuple(path) if len(path) == 1 else (path[0], "*") if len(path) == 2 else ()
    return line in _default_lines().get(key, frozenset())


def _merge_defaults(node: Node, defaults: Node) -> None:
    present = {attr_key(c.text) for c in node.children}
    for child in defaults.children:
        key = attr_key(child.text)
        if key is not None and key not in present:
            _insert_child(node, Node(child.text))
    per_entry = defaults.find("edit *")
    if per_entry is not None:
        for child in node.children:
            if child.text.startswith("edit "):
                _merge_defaults(child, per_entry)


def with_defaults(nodes: list[Node]) -> list[Node]:
    """``nodes`` plus the default values of ``lab/data/fortios_defaults.conf`` (in place)."""
    for defaults in _defaults():
        node = next((n for n in nodes if n.text == defaults.text), None)
        if node is None and defaults.find("edit *") is None:
            node = Node(defaults.text)
            _insert_top(nodes, node)
        if node is not None:
            _merge_defaults(node, defaults)
    return nodes


def subtree(nodes: list[Node], path: Sequence[str]) -> list[Node]:
    """The top-level block holding ``path`` with only the nodes along ``path`` (``show`` in a
    context); empty if ``path`` does not exist."""
    target = locate(nodes, path)
    if target is None or not path:
        return []
    root = Node(path[0])
    node = root
    for text in path[1:]:
        child = Node(text)
        node.children = [child]
        node = child
    node.children = target.children
    return [root]


# -- the config session ---------------------------------------------------------------------------


@dataclass
class Result:
    """What one line did inside ``config``: an error, or an informational message."""

    error: str = ""
    message: str = ""


@dataclass
class ConfigSession:
    """The ``config`` context stack of one CLI session and its uncommitted changes.

    Changes are kept until ``next`` or ``end`` (or dropped by ``abort``), then applied to the
    running config in one edit, as FortiOS commits them.
    """

    edit: Editor
    running: Callable[[], str]
    device_name: str
    frames: list[str] = field(default_factory=list)
    pending: list[Op] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The prompt's context: ``policy`` (last word of a path) or ``3`` (an entry)."""
        last = self.frames[-1]
        return entry_name(last) if last.startswith("edit ") else last.split()[-1]

    def view(self) -> list[Node]:
        """The running config with this session's uncommitted changes."""
        nodes = parse_config(self.running())
        for op in self.pending:
            op(nodes)
        return nodes

    def _top(self) -> str:
        return _top_path(self.frames[0]) if self.frames else ""

    def _in_table(self) -> bool:
        """Whether ``edit``/``delete`` apply here (nested blocks may be tables or not)."""
        if not self.frames or not self.frames[-1].startswith("config "):
            return False
        return len(self.frames) > 1 or self._top() not in schema().singletons

    def _in_block(self) -> bool:
        """Whether ``set``/``unset`` apply here: an entry, a single block or a nested block."""
        if not self.frames:
            return False
        return (
            self.frames[-1].startswith("edit ")
            or len(self.frames) > 1
            or (self._top() in schema().singletons)
        )

    def apply(self, line: str) -> Result:
        """Apply one line typed in a config context (or a top-level ``config``)."""
        words = split_words(line)
        if words is None:
            return Result(parse_error(line.strip().split()[-1]))
        if not words:
            return Result()
        verb, args = words[0].text, words[1:]
        handler = _VERBS.get(verb)
        if handler is None or (not self.frames and verb != "config"):
            return Result(parse_error(verb))
        return handler(self, args)

    def _push(self, op: Op) -> Result:
        self.pending.append(op)
        return Result()

    def commit(self) -> None:
        """Apply the uncommitted changes to the running config."""
        ops, self.pending = self.pending, []
        if ops:

            def change(text: str) -> str:
                nodes = parse_config(text)
                for op in ops:
                    op(nodes)
                prune(nodes, lambda n: n.text.startswith("config ") and not n.children)
                return render_config(nodes)

            self.edit(change)

    # -- verbs --

    def do_config(self, args: list[Word]) -> Result:
        """``config <path>``: a top-level path, or a nested table/block inside an entry."""
        if not args:
            return Result(parse_error("config"))
        path = " ".join(w.text for w in args)
        if not self.frames and path not in schema().paths:
            return Result(parse_error(args[0].text))
        if self.frames and (self._in_table() or len(args) != 1):
            return Result(parse_error(args[0].text))
        self.frames.append(f"config {path}")
        return Result()

    def do_edit(self, args: list[Word]) -> Result:
        """``edit <id>``: enter an entry (created at commit if new; ``edit 0`` picks the id)."""
        if not self._in_table() or len(args) != 1:
            return Result(parse_error(args[0].text if self._in_table() and args else "edit"))
        name = args[0].text
        table = locate(self.view(), self.frames)
        existing = entries(table)
        if name == "0" and not args[0].quoted:
            name = str(max((int(e) for e in existing if e.isdigit()), default=0) + 1)
        line = entry_line(name)
        path = [*self.frames, line]
        self.frames = path
        if name in existing:
            return Result()
        stamp = len(path) == 2 and self._top() in schema().uuid_tables
        self._push(lambda nodes: self._new_entry(nodes, path, stamp))
        return Result(message=f"new entry '{name}' added")

    def _new_entry(self, nodes: list[Node], path: list[str], stamp: bool) -> None:
        node = locate(nodes, path, create=True)
        if stamp and node is not None and not node.children:
            node.children.append(Node(f"set uuid {lab_uuid(self.device_name, *path)}"))

    def do_set(self, args: list[Word]) -> Result:
        """``set <attribute> <value>...``."""
        if not self._in_block() or len(args) < 2:
            return Result(parse_error(args[0].text if self._in_block() and args else "set"))
        line, path = set_line(self._top(), args[0].text, args[1:]), list(self.frames)
        return self._push(lambda nodes: set_attr(nodes, path, line))

    def do_unset(self, args: list[Word]) -> Result:
        """``unset <attribute>``: back to the default value."""
        if not self._in_block() or len(args) != 1:
            return Result(parse_error(args[0].text if self._in_block() and args else "unset"))
        key, path = args[0].text, list(self.frames)
        return self._push(lambda nodes: unset_attr(nodes, path, key))

    def _change_values(self, args: list[Word], add: bool) -> Result:
        if not self._in_block() or len(args) < 2:
            return Result(parse_error(args[0].text if args else "append"))
        key, path = args[0].text, list(self.frames)
        node = locate(self.view(), path)
        old = next((c.text for c in node.children if attr_key(c.text) == key), None) if node else ""
        current = attr_words(old or "")
        given = args[1:]
        if add:
            values = current + [w for w in given if w.text not in {c.text for c in current}]
        else:
            values = [c for c in current if c.text not in {w.text for w in given}]
        if not values:
            return self._push(lambda nodes: unset_attr(nodes, path, key))
        line = set_line(self._top(), key, values)
        return self._push(lambda nodes: set_attr(nodes, path, line))

    def do_append(self, args: list[Word]) -> Result:
        """``append <attribute> <value>...``: add to a list of values."""
        return self._change_values(args, add=True)

    def do_unselect(self, args: list[Word]) -> Result:
        """``unselect <attribute> <value>...``: remove from a list of values."""
        return self._change_values(args, add=False)

    def do_delete(self, args: list[Word]) -> Result:
        """``delete <id>`` in a table."""
        if not self._in_table() or len(args) != 1:
            return Result(parse_error(args[0].text if self._in_table() and args else "delete"))
        path, entry = list(self.frames), entry_line(args[0].text)
        if args[0].text not in entries(locate(self.view(), path)):
            return Result(not_found(args[0].text))
        return self._push(lambda nodes: delete_entry(nodes, path, entry))

    def do_move(self, args: list[Word]) -> Result:
        """``move <id> before|after <id>`` in a table (policy order)."""
        if not self._in_table() or len(args) != 3 or args[1].text not in ("before", "after"):
            return Result(parse_error(args[0].text if args else "move"))
        path = list(self.frames)
        known = entries(locate(self.view(), path))
        missing = next((w.text for w in (args[0], args[2]) if w.text not in known), None)
        if missing is not None:
            return Result(not_found(missing))
        entry, where, other = entry_line(args[0].text), args[1].text, entry_line(args[2].text)
        return self._push(lambda nodes: move_entry(nodes, path, entry, where, other))

    def do_next(self, args: list[Word]) -> Result:
        """``next``: commit the entry and go back to its table."""
        if args or not self.frames or not self.frames[-1].startswith("edit "):
            return Result(parse_error("next"))
        self.commit()
        self.frames.pop()
        return Result()

    def do_end(self, args: list[Word]) -> Result:
        """``end``: commit and leave the innermost ``config`` block."""
        if args:
            return Result(parse_error(args[0].text))
        self.commit()
        self._leave_block()
        return Result()

    def do_abort(self, args: list[Word]) -> Result:
        """``abort``: drop the uncommitted changes and leave the innermost ``config`` block."""
        self.pending = []
        self._leave_block()
        return Result()

    def _leave_block(self) -> None:
        while self.frames and self.frames.pop().startswith("edit "):
            pass


_VERBS: dict[str, Callable[[ConfigSession, list[Word]], Result]] = {
    "config": ConfigSession.do_config,
    "edit": ConfigSession.do_edit,
    "set": ConfigSession.do_set,
    "unset": ConfigSession.do_unset,
    "append": ConfigSession.do_append,
    "unselect": ConfigSession.do_unselect,
    "delete": ConfigSession.do_delete,
    "move": ConfigSession.do_move,
    "next": ConfigSession.do_next,
    "end": ConfigSession.do_end,
    "abort": ConfigSession.do_abort,
}


def apply_lines(session: ConfigSession, lines: Sequence[str]) -> list[str]:
    """Apply lines as typed at the CLI; commit what is left open; return the errors."""
    errors: list[str] = []
    for line in lines:
        result = session.apply(line)
        if result.error:
            errors.append(f"{line.strip()}: {result.error.splitlines()[0]}")
    session.commit()
    session.frames.clear()
    return errors
