"""The site diagram: a layered layout of LLDP/CDP adjacencies, drawn as SVG in pure Python.

Why not Graphviz: a clinic has a handful of devices in a tree (WAN router, firewall, a core
switch, access switches, access points). A layered layout by role and hop count is what a
reader expects of such a network, takes a few milliseconds, is deterministic (the same state
draws the same picture, so reports are reproducible), and needs no system package or external
process on the mini-PC.

Layers: in each connected group, the devices of the highest role (router, then firewall, core,
access, access point) are on top, the one with fewest links first when several share that role;
every other device sits one row below its nearest upper neighbour. Devices without neighbour
data are drawn standalone on a last row; neighbours that are not in the inventory are drawn
dashed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

ROLE_RANK = {
    "wan": 0,
    "router": 0,
    "edge": 1,
    "firewall": 1,
    "core": 2,
    "distribution": 2,
    "access": 3,
    "switch": 3,
    "ap": 4,
    "wifi": 4,
}
UNKNOWN_RANK = 3
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 168, 46, 36, 70, 16
MAX_PER_ROW = 6
MIN_COLUMNS = 3  # room for port labels beside a lone column of boxes


_PORT_PREFIXES = (
    ("TwentyFiveGigE", "Twe"),
    ("TenGigabitEthernet", "Te"),
    ("GigabitEthernet", "Gi"),
    ("FastEthernet", "Fa"),
    ("Port-channel", "Po"),
    ("Ethernet", "Eth"),
)


def short_port(name: str) -> str:
    """``GigabitEthernet1/0/3`` -> ``Gi1/0/3``: interface names as technicians write them."""
    for long, short in _PORT_PREFIXES:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


@dataclass(frozen=True)
class Node:
    """A box: a device of the inventory, or a neighbour outside it (``external``)."""

    name: str
    role: str = ""
    subtitle: str = ""
    external: bool = False


@dataclass(frozen=True)
class Link:
    """An adjacency between two boxes, with the port names at each end when known."""

    a: str
    b: str
    a_port: str = ""
    b_port: str = ""


@dataclass(frozen=True)
class Placed:
    """A box and its top-left corner."""

    node: Node
    x: int
    y: int


@dataclass(frozen=True)
class Diagram:
    """A laid-out diagram: boxes, links, size, and the SVG text."""

    boxes: tuple[Placed, ...]
    links: tuple[Link, ...]
    width: int
    height: int
    svg: str


def _rank(node: Node) -> int:
    return ROLE_RANK.get(node.role.lower(), UNKNOWN_RANK) + (1 if node.external else 0)


def _adjacency(names: Iterable[str], links: Sequence[Link]) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = {name: set() for name in names}
    for link in links:
        adj[link.a].add(link.b)
        adj[link.b].add(link.a)
    return adj


def _components(adj: dict[str, set[str]]) -> list[list[str]]:
    seen: set[str] = set()
    groups = []
    for start in sorted(adj):
        if start in seen or not adj[start]:
            continue
        group, queue = [], deque([start])
        seen.add(start)
        while queue:
            name = queue.popleft()
            group.append(name)
            for other in sorted(adj[name] - seen):
                seen.add(other)
                queue.append(other)
        groups.append(group)
    return groups


def _layers(nodes: dict[str, Node], adj: dict[str, set[str]]) -> list[list[str]]:
    """Hop distance from the top-role devices of each connected group."""
    depth: dict[str, int] = {}
    for group in _components(adj):
        top = min(_rank(nodes[n]) for n in group)
        tops = [n for n in group if _rank(nodes[n]) == top]
        # Among edge devices of the same role, the one with fewest links is the outermost (the
        # WAN router in front of the firewall that serves the LAN).
        fewest = min(len(adj[n]) for n in tops)
        queue = deque(sorted(n for n in tops if len(adj[n]) == fewest))
        for name in queue:
            depth[name] = 0
        while queue:
            name = queue.popleft()
            for other in sorted(adj[name]):
                if other not in depth:
                    depth[other] = depth[name] + 1
                    queue.append(other)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in sorted(depth):
        rows[depth[name]].append(name)
    return rows


def _order(rows: list[list[str]], adj: dict[str, set[str]]) -> list[list[str]]:
    """Order each row by the mean position of its neighbours in the row above (fewer crossings)."""
    ordered: list[list[str]] = []
    position: dict[str, float] = {}
    for row in rows:
        placed = sorted(row, key=lambda name: _barycentre(name, adj, position))
        for index, name in enumerate(placed):
            position[name] = index - (len(placed) - 1) / 2
        ordered.append(placed)
    return ordered


def _barycentre(
    name: str, adj: dict[str, set[str]], position: dict[str, float]
) -> tuple[float, str]:
    above = [position[o] for o in adj[name] if o in position]
    return (sum(above) / len(above) if above else float("inf"), name)


def _wrap(rows: list[list[str]]) -> list[list[str]]:
    return [row[i : i + MAX_PER_ROW] for row in rows for i in range(0, len(row), MAX_PER_ROW)]


def layout(nodes: Sequence[Node], links: Sequence[Link]) -> Diagram:
    """Place the boxes and draw the SVG. Links naming unknown boxes are ignored."""
    by_name = {n.name: n for n in nodes}
    links = tuple(lk for lk in links if lk.a in by_name and lk.b in by_name and lk.a != lk.b)
    adj = _adjacency(by_name, links)
    rows = _wrap(_order(_layers(by_name, adj), adj))
    standalone = sorted(n for n in by_name if not adj[n])
    rows += _wrap([standalone]) if standalone else []
    columns = max([MIN_COLUMNS, *(len(r) for r in rows)])
    width = MARGIN * 2 + columns * (BOX_W + GAP_X) - GAP_X
    boxes: list[Placed] = []
    for index, row in enumerate(rows):
        row_width = len(row) * (BOX_W + GAP_X) - GAP_X
        left = (width - row_width) // 2
        y = MARGIN + index * (BOX_H + GAP_Y)
        boxes += [Placed(by_name[n], left + i * (BOX_W + GAP_X), y) for i, n in enumerate(row)]
    height = MARGIN * 2 + max(len(rows), 1) * (BOX_H + GAP_Y) - GAP_Y
    svg = _svg(boxes, links, width, height)
    return Diagram(tuple(boxes), links, width, height, svg)


def _port_label(x: float, y: float, text: str) -> str:
    if not text:
        return ""
    return f'<text class="port" x="{x:.0f}" y="{y:.0f}">{escape(short_port(text))}</text>'


def _anchors(links: Sequence[Link], at: dict[str, Placed]) -> dict[tuple[int, str], float]:
    """Where each vertical link meets each box: spread along the edge, ordered by the far end."""
    ends: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for index, link in enumerate(links):
        a, b = at[link.a], at[link.b]
        if a.y == b.y:
            continue
        for here, there in ((a, b), (b, a)):
            side = "bottom" if here.y < there.y else "top"
            ends.setdefault((here.node.name, side), []).append((there.x, index))
    found: dict[tuple[int, str], float] = {}
    for (name, _side), items in ends.items():
        box = at[name]
        for rank, (_x, index) in enumerate(sorted(items)):
            found[(index, name)] = box.x + BOX_W * (rank + 1) / (len(items) + 1)
    return found


def _link_svg(
    index: int, link: Link, at: dict[str, Placed], anchors: dict[tuple[int, str], float]
) -> str:
    a, b = at[link.a], at[link.b]
    if a.y == b.y:  # same row: side to side
        left, right = (a, b) if a.x < b.x else (b, a)
        lp, rp = (link.a_port, link.b_port) if left is a else (link.b_port, link.a_port)
        x1, x2, y = float(left.x + BOX_W), float(right.x), left.y + BOX_H / 2
        return (
            f'<line x1="{x1}" y1="{y:.0f}" x2="{x2}" y2="{y:.0f}"/>'
            + _port_label(x1 + 3, y - 4, lp)
            + _port_label(x2 - 3, y + 12, rp).replace('class="port"', 'class="port end"')
        )
    upper, lower = (a, b) if a.y < b.y else (b, a)
    up, lp = (link.a_port, link.b_port) if upper is a else (link.b_port, link.a_port)
    x1, y1 = anchors[(index, upper.node.name)], float(upper.y + BOX_H)
    x2, y2 = anchors[(index, lower.node.name)], float(lower.y)
    return (
        f'<line x1="{x1:.0f}" y1="{y1}" x2="{x2:.0f}" y2="{y2}"/>'
        + _port_label(x1 + 3 + (x2 - x1) * 0.2, y1 + 4 + (y2 - y1) * 0.2, up)
        + _port_label(x2 + 3 - (x2 - x1) * 0.2, y2 - (y2 - y1) * 0.2, lp)
    )


def _box_svg(box: Placed) -> str:
    node = box.node
    cls = "box external" if node.external else "box"
    sub = escape(node.subtitle[:30])
    return (
        f'<g class="{cls}"><rect x="{box.x}" y="{box.y}" width="{BOX_W}" height="{BOX_H}" '
        f'rx="6"/><text class="name" x="{box.x + BOX_W / 2:.0f}" y="{box.y + 19}">'
        f"{escape(node.name[:26])}</text>"
        f'<text class="sub" x="{box.x + BOX_W / 2:.0f}" y="{box.y + 36}">{sub}</text></g>'
    )


def _svg(boxes: Sequence[Placed], links: Sequence[Link], width: int, height: int) -> str:
    at = {b.node.name: b for b in boxes}
    anchors = _anchors(links, at)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img">',
        "<style>line{stroke:#444;stroke-width:1.5}"
        ".box rect{fill:#eef3f8;stroke:#1f4e79;stroke-width:1.5}"
        ".external rect{fill:#fff;stroke:#777;stroke-dasharray:5 3}"
        "text{font-family:'DejaVu Sans',sans-serif;text-anchor:middle;fill:#111}"
        ".name{font-size:12px;font-weight:bold}.sub{font-size:10px;fill:#444}"
        ".port{font-size:9px;text-anchor:start;fill:#555}.port.end{text-anchor:end}</style>",
        '<g class="links">',
        *(_link_svg(i, link, at, anchors) for i, link in enumerate(links)),
        "</g>",
        *(_box_svg(box) for box in boxes),
        "</svg>",
    ]
    return "".join(parts)
