"""Parsers and renderers: keyword blocks (FortiOS, EdgeSwitch, ProCurve), flat statements
(JunOS, RouterOS), command sections (Linux)."""

from __future__ import annotations

import pytest

from prisme_drift.classify import diff_configs
from prisme_drift.classify.dialects import PARSERS, group_chain, render
from prisme_drift.classify.node import Node
from prisme_drift.classify.tree import parse
from prisme_drift.errors import ClassifyError
from prisme_drift.models import Category
from prisme_drift.profiles import get_profile

FORTINET = get_profile("fortinet")
JUNOS = get_profile("junos")

FGT = """config firewall policy
    edit 1
        set name "A"
        config sub
            set x 1
        end
    next
    edit 2
        set name "B"
    next
end
config system global
    set hostname "FGT"
end
"""


def shape(node: Node) -> list[object]:
    return [(c.text, shape(c)) for c in node.children]


def test_fortios_blocks_nest_and_their_ends_are_framing() -> None:
    tree = parse(FGT, FORTINET)
    policy, system = tree.children
    assert policy.text == "config firewall policy" and policy.end == "end"
    assert [e.text for e in policy.children] == ["edit 1", "edit 2"]
    assert policy.children[0].end == "next"
    assert [c.text for c in policy.children[0].children] == ['set name "A"', "config sub"]
    assert system.children[0].text == 'set hostname "FGT"'


def test_fortios_vdom_layout_without_indentation_parses_the_same() -> None:
    flat = "\n".join(line.strip() for line in FGT.splitlines()) + "\n"
    assert shape(parse(flat, FORTINET)) == shape(parse(FGT, FORTINET))


def test_fortios_render_parses_back_to_the_same_tree() -> None:
    tree = parse(FGT, FORTINET)
    text = render(tree, FORTINET)
    assert "    edit 1\n" in text and text.rstrip().endswith("end")
    assert shape(parse(text, FORTINET)) == shape(tree)


def test_quoted_value_over_several_lines_is_one_line() -> None:
    text = (
        'config x\n    edit "m"\n        set buffer "<html>\n  <b>hi</b>\n</html>"\n    next\nend\n'
    )
    leaf = parse(text, FORTINET).children[0].children[0].children[0]
    assert leaf.text == 'set buffer "<html>\n<b>hi</b>\n</html>"'


def test_unbalanced_quote_does_not_swallow_the_configuration() -> None:
    text = 'config x\n    set comment "oops\n    set y 1\nend\n'
    assert [c.text for c in parse(text, FORTINET).children[0].children] == [
        'set comment "oops',
        "set y 1",
    ]


def test_stray_and_missing_ends_never_fail() -> None:
    assert parse("end\nnext\nconfig a\n    edit 1\n        set x 1\n", FORTINET).children[
        0
    ].text == ("config a")


def test_exit_blocks_hold_their_unindented_body() -> None:
    edge = get_profile("ubiquiti_edgeswitch")
    text = "configure\ninterface 0/1\ndescription 'x'\nvlan pvid 20\nexit\nhostname \"s\"\nexit\n"
    tree = parse(text, edge)
    configure = tree.children[0]
    assert [c.text for c in configure.children] == ["interface 0/1", 'hostname "s"']
    assert [c.text for c in configure.children[0].children] == ["description 'x'", "vlan pvid 20"]


def test_indented_blocks_also_end_at_the_next_unindented_line() -> None:
    procurve = get_profile("hp_procurve")
    text = 'vlan 20\n   name "IMAGING"\nhostname "sw"\nvlan 30\n   name "X"\n   exit\n'
    assert [c.text for c in parse(text, procurve).children] == [
        "vlan 20",
        'hostname "sw"',
        "vlan 30",
    ]


def test_flat_lines_are_grouped_by_object_with_relative_names() -> None:
    line = "set security policies from-zone a to-zone b policy p1 then permit"
    assert group_chain(line, JUNOS) == [
        ("security policies", "security policies"),
        ("security policies from-zone a to-zone b", "from-zone a to-zone b"),
        ("security policies from-zone a to-zone b policy p1", "policy p1"),
    ]
    tree = parse(line + "\n", JUNOS)
    group = tree.children[0].children[0].children[0]
    assert group.synthetic and group.key.endswith("policy p1")
    assert group.children[0].text == line


def test_flat_order_matters_only_in_ordered_groups() -> None:
    base = "set vlans A vlan-id 10\nset vlans B vlan-id 20\n"
    swapped = "set vlans B vlan-id 20\nset vlans A vlan-id 10\n"
    assert diff_configs(base, swapped, JUNOS) == []
    p = "set security policies from-zone a to-zone b policy {} then permit\n"
    hunks = diff_configs(p.format("p1") + p.format("p2"), p.format("p2") + p.format("p1"), JUNOS)
    assert hunks and {h.category for h in hunks} == {Category.FIREWALL}


def test_command_sections_are_top_level_nodes() -> None:
    linux = get_profile("linux")
    text = (
        "#### ip -br address show\neth0 10.0.0.1/24\n"
        "#### ip route show table main\ndefault via 10.0.0.254 dev eth0\n"
    )
    tree = parse(text, linux)
    assert [c.text for c in tree.children] == [
        "#### ip -br address show",
        "#### ip route show table main",
    ]
    assert render(tree, linux) == text


def test_parser_failures_are_classify_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, profile: object) -> Node:
        raise IndexError("boom")

    monkeypatch.setitem(PARSERS, "flat", broken)
    with pytest.raises(ClassifyError, match="cannot parse junos"):
        parse("set x y\n", JUNOS)
