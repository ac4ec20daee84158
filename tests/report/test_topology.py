"""The site diagram's layout: rows by role and hops, standalone devices last, SVG well formed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from prisme_drift.report.topology import Link, Node, layout, short_port


def _rows(nodes: list[Node], links: list[Link]) -> list[list[str]]:
    diagram = layout(nodes, links)
    rows: dict[int, list[str]] = {}
    for box in sorted(diagram.boxes, key=lambda b: (b.y, b.x)):
        rows.setdefault(box.y, []).append(box.node.name)
    return list(rows.values())


def test_rows_follow_roles_and_hops_and_standalone_devices_come_last() -> None:
    nodes = [
        Node("sw2", "access"),
        Node("fw", "edge"),
        Node("rt", "edge"),
        Node("sw1", "access"),
        Node("ap", "ap"),
        Node("printer", external=True),
    ]
    links = [
        Link("sw1", "fw", "Gi1/0/48", "internal"),
        Link("fw", "rt", "wan1", "ether2"),
        Link("sw2", "sw1", "Gi1/0/24", "Gi1/0/24"),
        Link("printer", "sw2", "", "Gi1/0/3"),
    ]
    # rt and fw share the "edge" role: the one with fewer links (rt) is outermost
    assert _rows(nodes, links) == [["rt"], ["fw"], ["sw1"], ["sw2"], ["printer"], ["ap"]]


def test_links_to_unknown_boxes_are_ignored_and_svg_is_valid() -> None:
    diagram = layout([Node("a", "core"), Node("b", "access")], [Link("a", "b"), Link("a", "zz")])
    assert len(diagram.links) == 1
    root = ET.fromstring(diagram.svg)
    assert root.tag.endswith("svg")
    names = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"a", "b"} <= set(names)


def test_names_are_escaped_in_the_svg() -> None:
    diagram = layout([Node("<sw&1>", "access")], [])
    assert "&lt;sw&amp;1&gt;" in diagram.svg
    ET.fromstring(diagram.svg)


def test_port_names_are_shortened() -> None:
    assert short_port("GigabitEthernet1/0/48") == "Gi1/0/48"
    assert short_port("TenGigabitEthernet1/1/1") == "Te1/1/1"
    assert short_port("wan1") == "wan1"
