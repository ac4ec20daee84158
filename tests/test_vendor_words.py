"""Vendor knowledge lives in profiles: no platform or vendor name in the package's Python.

Every Python file of ``prisme_drift/`` is tokenized (the simulated devices, which may name
vendors, are another distribution: lab/prisme_drift_lab); names and string literals
are split into words and checked against the platform names and aliases of the built-in
profiles and a list of vendor words. Comments and docstrings may name vendors (they explain);
code may not (it would be an ``if platform == ...`` in disguise).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from prisme_drift.profiles import get_profile, known_platforms

PACKAGE = Path(__file__).resolve().parents[1] / "prisme_drift"

VENDOR_WORDS = frozenset(
    {
        "cisco", "ios", "iosxe", "nxos", "catalyst", "meraki",
        "juniper", "junos",
        "fortinet", "fortios", "fortigate",
        "mikrotik", "routeros",
        "hp", "hpe", "procurve", "aruba",
        "arista", "eos",
        "ubiquiti", "edgeswitch", "unifi", "edgeos",
        "netgear", "tplink", "sonicwall", "paloalto", "panos", "vyos", "linux",
    }
)  # fmt: skip

# (file relative to prisme_drift/, word): why the word may stay there
ALLOWED = {
    ("classify/remediation.py", "cisco"): "hier_config's API method cisco_style_text()",
    ("report/audit.py", "cisco"): "a well-known default SNMP community, checked as a value",
    ("inventory.py", "ios"): "an example inventory line in a message (tests grep it)",
    ("inventory_schema.py", "ios"): "example platform names in a message",
    ("inventory_schema.py", "fortinet"): "example platform names in a message",
    ("inventory_schema.py", "mikrotik"): "example platform names in a message",
    ("inventory_schema.py", "routeros"): "example platform names in a message",
    ("site.py", "ios"): "the commented example of a new site's hosts.yaml",
}
# parts of profile names and aliases that are plain words (nxos_ssh, ubiquiti_edge_switch)
GENERIC = frozenset({"ssh", "edge", "switch"})


def _platform_words() -> set[str]:
    names: set[str] = set()
    for name in known_platforms():
        profile = get_profile(name)
        for key in (profile.name, *profile.aliases):
            names.update(w for w in re.split(r"[^0-9a-z]+", key.lower()) if len(w) > 2)
    return names - GENERIC


WORDS = VENDOR_WORDS | _platform_words()


def _docstrings(tree: ast.Module) -> set[tuple[int, int]]:
    """Start (line, column) of every module, class and function docstring."""
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    found: set[tuple[int, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add((first.lineno, first.col_offset))
    return found


def vendor_words_in(source: str) -> list[tuple[int, str, str]]:
    """(line, word, token) for every vendor word in code: names and non-docstring strings."""
    skip = _docstrings(ast.parse(source))
    hits: list[tuple[int, str, str]] = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.NAME, tokenize.STRING) or tok.start in skip:
            continue
        for word in re.split(r"[^0-9a-z]+", tok.string.lower()):
            if word in WORDS:
                hits.append((tok.start[0], word, tok.string))
    return hits


def _files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_words_include_every_profile_name() -> None:
    assert {"junos", "fortinet", "mikrotik", "routeros", "procurve", "edgeswitch"} <= WORDS


def test_no_vendor_word_in_the_package_code() -> None:
    found = []
    for path in _files():
        relative = str(path.relative_to(PACKAGE))
        for line, word, token in vendor_words_in(path.read_text(encoding="utf-8")):
            if (relative, word) not in ALLOWED:
                found.append(f"prisme_drift/{relative}:{line}: {word!r} in {token[:60]}")
    assert not found, "vendor knowledge belongs in profiles/*.yaml:\n" + "\n".join(found)


def test_every_allowed_word_is_still_there() -> None:
    """An exception that no longer matches is dropped, so the list never hides a new use."""
    for (relative, word), why in ALLOWED.items():
        source = (PACKAGE / relative).read_text(encoding="utf-8")
        assert any(w == word for _, w, _ in vendor_words_in(source)), f"{relative}: {why}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"""Cisco IOS, in a docstring."""\n', []),
        ("x = 1  # a FortiGate comment\n", []),
        ("def f():\n    '''JunOS here is fine.'''\n    return 'set_delete'\n", []),
        ("ROUTEROS_VERBS = ('add',)\n", ["routeros"]),
        ("if platform == 'hp_procurve':\n    pass\n", ["hp", "procurve"]),
        ("x = f'{a} junos'\n", ["junos"]),
        ("def f():\n    x = 1\n    'a string after code, not a docstring: eos'\n", ["eos"]),
    ],
)
def test_the_scan_reads_code_not_comments_or_docstrings(source: str, expected: list[str]) -> None:
    assert [word for _, word, _ in vendor_words_in(source)] == expected
