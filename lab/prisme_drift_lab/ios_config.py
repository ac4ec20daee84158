"""IOS configuration mode: a small, data-driven grammar over the running-config tree.

It does what matters for drift tests, the way IOS does it: lines that open a sub-mode
(``interface``, ``vlan``, ``line``...) create or enter their block, new blocks land next to their
siblings in numeric order, single-valued lines (``description``, ``switchport access vlan``...)
replace the old value, ``no`` removes, and a global command typed inside a sub-mode first drops
back to global config. Abbreviations of the first keyword (``int``, ``desc``, ``shut``...) and of
interface names (``Gi1/0/5``) are accepted. It is not a parser of the whole IOS language: an
unknown line is stored as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prisme_drift_lab.tree import Node, parse, render

INVALID_INPUT = "% Invalid input detected at '^' marker."

# -- grammar data ---------------------------------------------------------------------------------

#: Lines that open a sub-mode, per parent mode: (regex on the line, prompt mode name).
OPENERS: dict[str, tuple[tuple[str, str], ...]] = {
    "config": (
        (r"interface (?!range\b)\S+", "config-if"),
        (r"vlan \d+", "config-vlan"),
        (r"line (con|vty|aux) \d+( \d+)?", "config-line"),
        (r"router \S+( \S+)?", "config-router"),
        (r"ip access-list standard \S+", "config-std-nacl"),
        (r"ip access-list extended \S+", "config-ext-nacl"),
        (r"ipv6 access-list \S+", "config-ipv6-acl"),
        (r"ip dhcp pool \S+", "dhcp-config"),
        (r"class-map( match-(any|all))? \S+", "config-cmap"),
        (r"policy-map \S+", "config-pmap"),
        (r"ip vrf \S+", "config-vrf"),
        (r"vrf definition \S+", "config-vrf"),
        (r"key chain \S+", "config-keychain"),
        (r"spanning-tree mst configuration", "config-mst"),
        (r"archive", "config-archive"),
        (r"control-plane", "config-cp"),
        (r"redundancy", "config-red"),
    ),
    "config-pmap": ((r"class \S+", "config-pmap-c"),),
    "config-router": ((r"address-family .+", "config-router-af"),),
    "config-keychain": ((r"key \d+", "config-keychain-key"),),
}

#: Extra commands that leave a nested mode, besides ``exit``.
MODE_EXITS = {"config-router-af": "exit-address-family"}

#: Lines whose old value is replaced by a new one: regexes per mode, groups are part of the key.
SINGLE_VALUED: dict[str, tuple[str, ...]] = {
    "config": (
        r"hostname",
        r"ip default-gateway",
        r"ip domain[ -]name",
        r"ip name-server",
        r"enable (secret|password)",
        r"username (\S+)",
        r"snmp-server community (\S+)",
        r"snmp-server (location|contact)",
        r"clock timezone",
        r"spanning-tree mode",
        r"banner (\S+)",
        r"ip ssh version",
        r"logging buffered",
        r"logging trap",
        r"vtp (mode|domain)",
        r"service timestamps (debug|log)",
    ),
    "config-if": (
        r"description",
        r"switchport mode",
        r"switchport access vlan",
        r"switchport voice vlan",
        r"switchport trunk native vlan",
        r"switchport trunk encapsulation",
        r"ip address \S+ \S+$",
        r"speed",
        r"duplex",
        r"mtu",
        r"bandwidth",
        r"load-interval",
        r"channel-group",
        r"power inline",
        r"spanning-tree portfast",
        r"spanning-tree bpduguard",
        r"storm-control (broadcast|multicast|unicast) level",
        r"storm-control action",
        r"ip access-group \S+ (in|out)",
        r"service-policy (input|output)",
        r"switchport port-security (maximum|violation|aging time)",
        r"encapsulation",
    ),
    "config-vlan": (r"name", r"state", r"mtu"),
    "config-line": (
        r"exec-timeout",
        r"session-timeout",
        r"transport input",
        r"transport output",
        r"access-class \S+ (in|out)",
        r"password",
        r"privilege level",
        r"login( local| authentication)?$",
    ),
    "config-router": (r"router-id",),
    "dhcp-config": (r"default-router", r"dns-server", r"domain-name", r"lease", r"network"),
    "config-pmap-c": (r"police", r"bandwidth", r"priority"),
}

#: ``no X`` is stored as a line when X is absent (IOS shows these negative defaults).
NEGATABLE: dict[str, frozenset[str]] = {
    "config": frozenset(
        {
            "service pad",
            "ip domain-lookup",
            "ip http server",
            "ip http secure-server",
            "cdp run",
            "ip source-route",
            "ip gratuitous-arps",
            "service config",
        }
    ),
    "config-if": frozenset(
        {
            "ip address",
            "switchport",
            "cdp enable",
            "ip redirects",
            "ip unreachables",
            "ip proxy-arp",
            "keepalive",
            "logging event link-status",
        }
    ),
}

#: Global commands that make IOS leave a sub-mode when typed inside it.
GLOBAL_ONLY = (
    "hostname",
    "ip route",
    "ip default-gateway",
    "ip domain",
    "ip name-server",
    "ip ssh",
    "ip http",
    "ip dhcp excluded-address",
    "ip dhcp snooping vlan",
    "ip forward-protocol",
    "ipv6 route",
    "snmp-server",
    "ntp ",
    "logging host",
    "logging buffered",
    "logging trap",
    "logging source-interface",
    "username",
    "enable ",
    "service ",
    "banner ",
    "aaa ",
    "clock ",
    "spanning-tree mode",
    "spanning-tree extend",
    "spanning-tree vlan",
    "vtp ",
    "errdisable",
    "boot ",
    "cdp run",
    "lldp run",
    "crypto ",
    "access-list ",
    "system mtu",
    "license ",
)

#: First keywords that only exist inside a sub-mode.
SUBMODE_ONLY = (
    "description",
    "switchport",
    "shutdown",
    "name",
    "transport",
    "access-class",
    "exec-timeout",
    "speed",
    "duplex",
    "permit",
    "deny",
    "remark",
    "ip address",
    "spanning-tree portfast",
    "channel-group",
    "default-router",
)

#: Exec commands that IOS refuses in config mode (they need ``do``).
EXEC_ONLY = frozenset(
    {
        "show",
        "write",
        "copy",
        "ping",
        "traceroute",
        "terminal",
        "reload",
        "clear",
        "debug",
        "configure",
        "disable",
        "dir",
        "more",
        "undebug",
        "logout",
    }
)

#: Config keywords, in the order used to resolve an abbreviation of the first word.
KEYWORDS = (
    "exit",
    "end",
    "interface",
    "description",
    "shutdown",
    "switchport",
    "hostname",
    "vlan",
    "name",
    "no",
    "ip",
    "ipv6",
    "line",
    "router",
    "username",
    "enable",
    "service",
    "snmp-server",
    "ntp",
    "logging",
    "banner",
    "spanning-tree",
    "access-class",
    "transport",
    "exec-timeout",
    "default",
    "do",
    "speed",
    "duplex",
    "power",
    "channel-group",
    "permit",
    "deny",
    "remark",
    "network",
    "class-map",
    "policy-map",
    "class",
    "mtu",
    "storm-control",
    "login",
    "password",
    "aaa",
    "clock",
    "crypto",
    "vtp",
    "cdp",
    "lldp",
)

IFACE_TYPES = (
    "GigabitEthernet",
    "FastEthernet",
    "TenGigabitEthernet",
    "TwoGigabitEthernet",
    "TwentyFiveGigE",
    "FortyGigabitEthernet",
    "HundredGigE",
    "Tunnel",
    "Port-channel",
    "Vlan",
    "Loopback",
    "Ethernet",
    "AppGigabitEthernet",
    "Serial",
    "Dialer",
    "BDI",
    "Null",
)
PHYSICAL_IFACES = frozenset(
    {
        "GigabitEthernet",
        "FastEthernet",
        "TenGigabitEthernet",
        "TwoGigabitEthernet",
        "TwentyFiveGigE",
        "FortyGigabitEthernet",
        "HundredGigE",
        "Ethernet",
        "AppGigabitEthernet",
    }
)
_ALL_VLANS = frozenset(range(1, 4095))
_FREE_TEXT = frozenset({"description", "remark", "banner", "name"})
_TAIL_STARTS = ("banner ", "line ", "end")

# -- small text helpers ---------------------------------------------------------------------------


def banner_delimiter(line: str) -> str | None:
    """For ``banner motd ^C...``: the delimiter that closes the banner text, else None."""
    m = re.match(r"banner\s+\S+\s+(\^C|\S)", line.strip())
    return m.group(1) if m else None


def parse_config(text: str) -> list[Node]:
    """The IOS running-config text as a tree."""
    return parse(text, banner_delimiter)


def canonical_interface(name: str) -> str:
    """``gi1/0/5`` -> ``GigabitEthernet1/0/5``; unknown names are returned unchanged."""
    m = re.fullmatch(r"([A-Za-z-]+)\s*(\d[\d/.:]*)", name.strip())
    if not m:
        return name.strip()
    kind = m.group(1).lower()
    full = next((t for t in IFACE_TYPES if t.lower().startswith(kind)), None)
    return f"{full}{m.group(2)}" if full else name.strip()


def _expand_word(word: str) -> str:
    if word in KEYWORDS:
        return word
    return next((k for k in KEYWORDS if k.startswith(word.lower())), word)


def normalize_line(raw: str) -> str:
    """Trim a typed config line, expand the first keyword(s) and canonicalize interface names.

    Free text (descriptions, remarks, banners, names) is kept as typed; elsewhere runs of
    spaces are collapsed.
    """
    words = raw.strip().split(None, 1)
    if not words:
        return ""
    first = _expand_word(words[0])
    rest = words[1] if len(words) > 1 else ""
    if first in ("no", "default") and rest:
        return f"{first} {normalize_line(rest)}"
    if first in _FREE_TEXT:
        return f"{first} {rest}".rstrip()
    line = " ".join([first, *rest.split()])
    m = re.fullmatch(r"interface (?!range\b)(\S+(?: \d\S*)?)", line)
    return f"interface {canonical_interface(m.group(1))}" if m else line


def _family(text: str) -> str:
    return re.sub(r"\d+", "#", text.split("\n", 1)[0])


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text.split("\n", 1)[0]))


def _rule_key(mode: str, line: str) -> tuple[str, ...] | None:
    """The identity of a single-valued line: two lines with the same key replace each other."""
    for rule in SINGLE_VALUED.get(mode, ()):
        m = re.match(rule + r"(\s|$)", line)
        if m:
            return (rule, *[g or "" for g in m.groups()[:-1]])
    return None


def _matches(node_text: str, body: str) -> bool:
    """Whether ``no <body>`` removes the line ``node_text`` (same line or a longer one)."""
    first = node_text.split("\n", 1)[0]
    return first == body or first.startswith(body + " ")


def vlan_set(spec: str) -> set[int]:
    """``10,20,30-32`` -> {10, 20, 30, 31, 32}."""
    if spec == "all":
        return set(_ALL_VLANS)
    if spec == "none":
        return set()
    result: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        result.update(range(int(low), int(high or low) + 1))
    return result


def vlan_spec(vlans: set[int]) -> str:
    """{10, 20, 30, 31, 32} -> ``10,20,30-32`` (IOS style)."""
    if not vlans:
        return "none"
    ordered = sorted(vlans)
    parts: list[str] = []
    start = prev = ordered[0]
    for v in [*ordered[1:], -1]:
        if v == prev + 1:
            prev = v
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = v
    return ",".join(parts)


def expand_range(spec: str) -> list[str]:
    """``Gi1/0/1 - 3, Gi1/0/7`` -> the canonical names of those interfaces."""
    names: list[str] = []
    for part in spec.split(","):
        m = re.fullmatch(r"\s*([A-Za-z-]+\s*(?:\d+/)*)(\d+)\s*(?:-\s*(\d+))?\s*", part)
        if not m:
            raise ValueError(part)
        first, last = int(m.group(2)), int(m.group(3) or m.group(2))
        names += [canonical_interface(f"{m.group(1)}{n}") for n in range(first, last + 1)]
    return names


# -- tree edits -----------------------------------------------------------------------------------


def _after(nodes: list[Node], index: int) -> int:
    """Insertion point after ``nodes[index]``, past the ``!`` that closes a block."""
    if nodes[index].children and index + 1 < len(nodes) and nodes[index + 1].text == "!":
        return index + 2
    return index + 1


def _tail(nodes: list[Node]) -> int:
    """Where new global lines go when they have no sibling: before banner/line/end."""
    return next((i for i, n in enumerate(nodes) if n.text.startswith(_TAIL_STARTS)), len(nodes))


def _group_position(nodes: list[Node], text: str) -> int | None:
    """After the last top-level line sharing the first two words (or the first one)."""
    words = text.split()
    prefixes = [" ".join(words[:2])]
    if words and words[0] not in ("ip", "ipv6", "no"):
        prefixes.append(words[0])
    for prefix in prefixes:
        hits = [i for i, n in enumerate(nodes) if n.text.split("\n")[0].startswith(prefix + " ")]
        if hits:
            return _after(nodes, hits[-1])
    return None


def _insert_position(nodes: list[Node], text: str) -> int:
    family = _family(text)
    same = [i for i, n in enumerate(nodes) if _family(n.text) == family]
    if same:
        smaller = [i for i in same if _numbers(nodes[i].text) < _numbers(text)]
        return _after(nodes, smaller[-1]) if smaller else same[0]
    position = _group_position(nodes, text)
    return _tail(nodes) if position is None else position


def insert_top(nodes: list[Node], node: Node, block: bool) -> None:
    """Insert a new top-level line or block at the place IOS would show it."""
    position = _insert_position(nodes, node.text)
    new = [node, Node("!")] if block else [node]
    nodes[position:position] = new


def remove_top(nodes: list[Node], index: int) -> None:
    """Remove a top-level node and the ``!`` that separated it, if that would leave two."""
    del nodes[index]
    before_is_bang = index == 0 or nodes[index - 1].text == "!"
    if index < len(nodes) and nodes[index].text == "!" and before_is_bang:
        del nodes[index]


def set_child(parent: Node, mode: str, line: str) -> None:
    """Add a line under a block, replacing the line it supersedes."""
    if parent.find(line):
        return
    parent.children = [
        c for c in parent.children if not (c.text.startswith("no ") and _matches(line, c.text[3:]))
    ]
    key = _rule_key(mode, line)
    for child in parent.children:
        if key is not None and _rule_key(mode, child.text) == key:
            child.text = line
            return
    parent.children.append(Node(line))


def remove_child(parent: Node, mode: str, body: str, store_negation: bool = True) -> None:
    """``no <body>`` (or ``default <body>``, without ``store_negation``) under a block.

    IOS shows some negations explicitly (``no ip address``, ``no switchport``): those are kept
    as lines.
    """
    parent.children = [c for c in parent.children if not _matches(c.text, body)]
    if store_negation and body in NEGATABLE.get(mode, frozenset()):
        parent.children.append(Node(f"no {body}"))


def set_trunk_vlans(parent: Node, op: str, spec: str) -> None:
    """``switchport trunk allowed vlan [add|remove|except] <list>``."""
    prefix = "switchport trunk allowed vlan"
    current_node = next((c for c in parent.children if c.text.startswith(prefix + " ")), None)
    current = vlan_set(current_node.text.split()[-1]) if current_node else set(_ALL_VLANS)
    given = vlan_set(spec)
    result = {
        "add": current | given,
        "remove": current - given,
        "except": set(_ALL_VLANS) - given,
    }.get(op, given)
    if result == set(_ALL_VLANS):
        parent.children = [c for c in parent.children if c is not current_node]
    elif current_node is not None:
        current_node.text = f"{prefix} {vlan_spec(result)}"
    else:
        parent.children.append(Node(f"{prefix} {vlan_spec(result)}"))


def set_global(nodes: list[Node], line: str) -> None:
    """A global-config line that opens no block."""
    if any(n.text == line for n in nodes):
        return
    negations = [
        i for i, n in enumerate(nodes) if n.text.startswith("no ") and _matches(line, n.text[3:])
    ]
    for i in reversed(negations):
        del nodes[i]
    key = _rule_key("config", line)
    for node in nodes:
        if key is not None and _rule_key("config", node.text) == key:
            node.text = line
            return
    insert_top(nodes, Node(line), block=False)


def remove_global(nodes: list[Node], body: str) -> None:
    """``no <body>`` in global config."""
    hits = [i for i, n in enumerate(nodes) if _matches(n.text, body)]
    for i in reversed(hits):
        remove_top(nodes, i)
    if body in NEGATABLE["config"]:
        set_global(nodes, f"no {body}")


# -- the config session ---------------------------------------------------------------------------


@dataclass
class Frame:
    """One level of sub-mode: its prompt name and the block header(s) being edited."""

    mode: str
    headers: tuple[str, ...]


@dataclass
class Step:
    """What one config line did."""

    error: str = ""  # an IOS error message (the line was rejected)
    message: str = ""  # informational text to print (banner prompt...)
    leave: bool = False  # back to privileged exec
    do: str | None = None  # an exec command to run (``do show ...``)


@dataclass
class _Banner:
    header: str
    delimiter: str
    lines: list[str] = field(default_factory=list)


Editor = Callable[[Callable[[str], str]], bool]


class ConfigSession:
    """IOS ``configure terminal`` state: the sub-mode stack, applied to a config via ``edit``."""

    def __init__(self, edit: Editor) -> None:
        self._edit = edit
        self.frames: list[Frame] = []
        self._banner: _Banner | None = None

    @property
    def collecting(self) -> bool:
        """Whether lines are banner text (IOS shows no prompt meanwhile)."""
        return self._banner is not None

    @property
    def mode(self) -> str:
        """Prompt name of the current mode: ``config``, ``config-if``, ``config-vlan``..."""
        return self.frames[-1].mode if self.frames else "config"

    def apply(self, raw: str) -> Step:
        """Apply one typed line."""
        if self._banner is not None:
            return self._banner_line(raw)
        line = normalize_line(raw)
        if not line or line.startswith("!"):
            return Step()
        if line in ("end", "exit") or line == MODE_EXITS.get(self.mode):
            return self._exit(line)
        if line.startswith("do "):
            return Step(do=line[3:])
        if line.split()[0] in EXEC_ONLY:
            return Step(error=INVALID_INPUT)
        return self._apply_command(line)

    def _exit(self, line: str) -> Step:
        """``end`` leaves config mode; ``exit`` leaves one sub-mode (or config mode)."""
        if line == "end" or not self.frames:
            self.frames = []
            return Step(leave=True)
        self.frames.pop()
        return Step()

    def _apply_command(self, line: str) -> Step:
        negate = line.startswith(("no ", "default "))
        body = line.split(" ", 1)[1] if negate else line
        if body.startswith("interface range "):
            return self._interface_range(body, negate)
        opened = self._find_opener(body)
        if opened is not None:
            depth, mode = opened
            del self.frames[depth:]
            return self._open(mode, (body,), negate, line.startswith("default "))
        if self.frames and not body.startswith(GLOBAL_ONLY):
            return self._child(line, negate, body)
        self.frames = []
        return self._global(line, negate, body)

    def _find_opener(self, body: str) -> tuple[int, str] | None:
        """Innermost mode (depth, mode name) in which ``body`` opens a sub-mode."""
        for depth in range(len(self.frames), -1, -1):
            parent = self.frames[depth - 1].mode if depth else "config"
            for pattern, mode in OPENERS.get(parent, ()):
                if re.fullmatch(pattern, body):
                    return depth, mode
        return None

    def _interface_range(self, body: str, negate: bool) -> Step:
        try:
            names = expand_range(body.removeprefix("interface range "))
        except ValueError:
            return Step(error=INVALID_INPUT)
        self.frames = []
        return self._open("config-if", tuple(f"interface {n}" for n in names), negate, False)

    def _open(self, mode: str, headers: tuple[str, ...], negate: bool, reset: bool) -> Step:
        parents = self._parents()
        if negate and not reset and not self.frames:
            physical = [h for h in headers if _is_physical(h)]
            if physical:
                return Step(error="% Removal of physical interfaces is not permitted")
        self._edit(lambda text: self._open_edit(text, parents, headers, negate, reset))
        if not negate:
            self.frames.append(Frame(mode, headers))
        return Step()

    def _open_edit(
        self,
        text: str,
        parents: list[tuple[str, ...]],
        headers: tuple[str, ...],
        negate: bool,
        reset: bool,
    ) -> str:
        nodes = parse_config(text)
        for siblings in _resolve(nodes, parents, create=not negate):
            for header in headers:
                _open_one(siblings, header, top=not parents, negate=negate, reset=reset)
        return render(nodes)

    def _parents(self) -> list[tuple[str, ...]]:
        return [f.headers for f in self.frames]

    def _child(self, line: str, negate: bool, body: str) -> Step:
        mode = self.mode
        trunk = re.fullmatch(r"switchport trunk allowed vlan (?:(add|remove|except) )?(\S+)", line)
        if trunk and not re.fullmatch(r"[\d,\-]+|all|none", trunk.group(2)):
            return Step(error=INVALID_INPUT)

        def change(block: Node) -> None:
            if trunk:
                set_trunk_vlans(block, trunk.group(1) or "", trunk.group(2))
            elif negate:
                remove_child(block, mode, body, store_negation=line.startswith("no "))
            else:
                set_child(block, mode, _strip_sequence(mode, line))

        self._edit(lambda text: _edit_blocks(text, self._parents(), change))
        return Step()

    def _global(self, line: str, negate: bool, body: str) -> Step:
        if not negate and line.startswith(SUBMODE_ONLY):
            return Step(error=INVALID_INPUT)
        delimiter = banner_delimiter(line)
        if delimiter is not None and not negate:
            return self._start_banner(line, delimiter)

        def change(text: str) -> str:
            nodes = parse_config(text)
            if negate:
                remove_global(nodes, body)
            else:
                set_global(nodes, line)
            return render(nodes)

        self._edit(change)
        return Step()

    def _start_banner(self, line: str, delimiter: str) -> Step:
        header, _, rest = line.partition(delimiter)
        self._banner = _Banner(header.strip(), delimiter)
        if delimiter in rest:
            return self._finish_banner(rest.split(delimiter, 1)[0])
        if rest.strip():
            self._banner.lines.append(rest)
        return Step(message=f"Enter TEXT message.  End with the character '{delimiter}'.")

    def _banner_line(self, raw: str) -> Step:
        assert self._banner is not None
        if self._banner.delimiter in raw:
            return self._finish_banner(raw.split(self._banner.delimiter, 1)[0])
        self._banner.lines.append(raw)
        return Step()

    def _finish_banner(self, last: str) -> Step:
        assert self._banner is not None
        lines = [*self._banner.lines, last] if last else self._banner.lines
        text = "\n".join([f"{self._banner.header} ^C", *lines, "^C"])
        self._banner = None

        def change(config: str) -> str:
            nodes = parse_config(config)
            set_global(nodes, text)
            return render(nodes)

        self._edit(change)
        return Step()


def _is_physical(header: str) -> bool:
    m = re.match(r"interface ([A-Za-z-]+)", header)
    return bool(m and m.group(1) in PHYSICAL_IFACES)


def _strip_sequence(mode: str, line: str) -> str:
    """ACL entries typed with a sequence number are shown without it."""
    if mode.endswith("nacl"):
        return re.sub(r"^\d+\s+", "", line)
    return line


def _open_one(siblings: list[Node], header: str, top: bool, negate: bool, reset: bool) -> None:
    index = next((i for i, n in enumerate(siblings) if n.text == header), None)
    if negate and not reset:
        if index is not None:
            if top:
                remove_top(siblings, index)
            else:
                del siblings[index]
        return
    if index is not None:
        if reset:
            siblings[index].children = []
        return
    if top:
        insert_top(siblings, Node(header), block=True)
    else:
        siblings.append(Node(header))


def _resolve(nodes: list[Node], path: Sequence[tuple[str, ...]], create: bool) -> list[list[Node]]:
    """The child lists reached by following ``path`` (one per header of a range)."""
    levels: list[list[Node]] = [nodes]
    for headers in path:
        nxt: list[list[Node]] = []
        for siblings in levels:
            for header in headers:
                node = next((n for n in siblings if n.text == header), None)
                if node is None and create:
                    node = Node(header)
                    siblings.append(node)
                if node is not None:
                    nxt.append(node.children)
        levels = nxt
    return levels


def _edit_blocks(text: str, path: Sequence[tuple[str, ...]], change: Callable[[Node], None]) -> str:
    """Apply ``change`` to every block at ``path`` (created if a concurrent edit removed it)."""
    nodes = parse_config(text)
    if not any(n.text in path[0] for n in nodes):
        for header in path[0]:
            insert_top(nodes, Node(header), block=True)
    level: list[Node] = [n for n in nodes if n.text in path[0]]
    for headers in path[1:]:
        nxt: list[Node] = []
        for block in level:
            for header in headers:
                found = block.find(header)
                if found is None:
                    found = Node(header)
                    block.children.append(found)
                nxt.append(found)
        level = nxt
    for block in level:
        change(block)
    return render(nodes)


def apply_lines(edit: Editor, lines: Sequence[str]) -> list[str]:
    """Apply config lines as a ``configure terminal`` session would; return the errors.

    ``end`` (or ``exit`` from global config) returns to global config for the next line, so a
    batch can hold several ``... end`` sequences.
    """
    session = ConfigSession(edit)
    errors: list[str] = []
    for line in lines:
        step = session.apply(line)
        if step.error:
            errors.append(f"{line.strip()}: {step.error}")
        elif step.do is not None:
            errors.append(f"{line.strip()}: 'do' is not supported in programmatic configure")
    return errors
