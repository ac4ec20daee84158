"""The three passes in detail, on small texts: framing and secrets, noise, canonical form."""

from __future__ import annotations

import pytest

from prisme_drift.errors import ProfileError
from prisme_drift.normalize import FingerprintKey, canonicalize, drop_noise, normalize, redact
from prisme_drift.normalize.framing import inline_menu_paths, join_backslash, logical_lines
from prisme_drift.normalize.lists import canonical_range, sorted_items, split_words
from prisme_drift.normalize.secrets import RESALTED_MARKER
from prisme_drift.profiles import Profile, get_profile

KEY = FingerprintKey(b"k" * 32)


def variant(name: str, **changes: object) -> Profile:
    """A platform profile with some fields replaced (profiles are frozen)."""
    return get_profile(name).model_copy(update=changes)


# -- secrets ----------------------------------------------------------------------------------
def test_every_secret_of_one_line_is_replaced() -> None:
    line = "snmp-server user mon GRP v3 auth sha AuthS3cret priv aes 128 PrivS3cret\n"
    text = redact(line, get_profile("ios"), KEY)
    assert "AuthS3cret" not in text and "PrivS3cret" not in text
    assert text.count("<secret:") == 2


def test_within_limits_a_rule_to_the_lines_under_its_section() -> None:
    fortinet = get_profile("fortinet")
    text = (
        'config system snmp community\n    edit 1\n        set name "C0mmun1ty"\n    next\nend\n'
        'config firewall address\n    edit "x"\n        set name "visible"\n    next\nend\n'
    )
    out = redact(text, fortinet, KEY)
    assert "C0mmun1ty" not in out
    assert 'set name "visible"' in out


def test_fortios_enc_values_become_one_constant_marker() -> None:
    fortinet = get_profile("fortinet")
    one = redact("    set passphrase ENC AAAA1111bbbb==\n", fortinet, KEY)
    two = redact("    set passphrase ENC ZZZZ9999yyyy==\n", fortinet, KEY)
    assert one == two == f"    set passphrase ENC {RESALTED_MARKER}\n"


def test_block_secret_is_one_marker_and_keeps_its_frame() -> None:
    text = (
        'set certificate "-----BEGIN CERTIFICATE-----\n'
        'MIIBLINE1\nMIIBLINE2\n-----END CERTIFICATE-----"\n'
    )
    out = redact(text, get_profile("fortinet"), KEY).splitlines()
    assert out[0].endswith("-----BEGIN CERTIFICATE-----")
    assert out[1].startswith("<secret:") and len(out) == 3
    assert "MIIB" not in "\n".join(out)


def test_resalted_private_key_block_is_constant() -> None:
    fortinet = get_profile("fortinet")
    key = (
        'set private-key "-----BEGIN ENCRYPTED PRIVATE KEY-----\n'
        '{}\n-----END ENCRYPTED PRIVATE KEY-----"\n'
    )
    assert redact(key.format("AAA"), fortinet, KEY) == redact(key.format("BBB"), fortinet, KEY)
    assert RESALTED_MARKER in redact(key.format("AAA"), fortinet, KEY)


def test_begin_and_end_on_one_line_is_not_a_block() -> None:
    text = "x -----BEGIN K----- inline -----END K-----\nhostname keep-me\n"
    assert "hostname keep-me" in redact(text, get_profile("nxos_ssh"), KEY)


def test_unterminated_block_is_still_secret() -> None:
    text = "crypto pki certificate chain TP\n certificate self-signed 01\n  DEADBEEF\n  CAFEBABE\n"
    out = redact(text, get_profile("ios"), KEY)
    assert "DEADBEEF" not in out and "CAFEBABE" not in out and "<secret:" in out


def test_secret_split_by_a_continuation_is_still_found() -> None:
    text = "/interface wifi security\nadd name=s passphrase=\\\n    SplitSecret42\n"
    out = redact(text, get_profile("mikrotik_routeros"), KEY)
    assert "SplitSecret42" not in out
    assert out.startswith("/interface wifi security add name=s passphrase=<secret:")


def test_secret_under_a_section_header_is_found() -> None:
    text = "/snmp community\nset [ find default=yes ] name=Hidd3nC0mm\n"
    out = redact(text, get_profile("mikrotik_routeros"), KEY)
    assert "Hidd3nC0mm" not in out


def test_escaped_backslash_is_not_a_continuation() -> None:
    assert join_backslash(['comment="a\\\\"', "next"]) == ['comment="a\\\\"', "next"]
    assert join_backslash(["a=\\", "    b"]) == ["a=b"]


def test_terse_lines_stay_terse_and_sections_become_terse() -> None:
    lines = ["/ip address", "add address=10.0.0.1/24", "/ip dns set servers=1.1.1.1", "# note"]
    assert inline_menu_paths(lines, get_profile("mikrotik_routeros")) == [
        "/ip address add address=10.0.0.1/24",
        "/ip dns set servers=1.1.1.1",
        "# note",
    ]


def test_unknown_framing_step_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="unknown framing step"):
        logical_lines("x", variant("ios", framing=("nope",)))


# -- noise ------------------------------------------------------------------------------------
def test_noise_block_is_dropped_whole() -> None:
    text = "config-file-header\nSW\nv2.5.9.54 / RCBS2.5.9.54\n@\nhostname SW\n"
    assert drop_noise(text, get_profile("cisco_s300")) == "hostname SW\n"


def test_substitutions_blank_volatile_parts_only() -> None:
    text = "\t\tip saddr 10.0.0.1 counter packets 12 bytes 3400 accept\n"
    assert drop_noise(text, get_profile("linux")) == "\t\tip saddr 10.0.0.1 counter accept\n"


def test_link_state_column_is_not_configuration() -> None:
    linux = get_profile("linux")
    up = drop_noise("eth0             UP             10.0.0.1/24\n", linux)
    down = drop_noise("eth0             DOWN           10.0.0.1/24\n", linux)
    assert canonicalize(up, linux) == canonicalize(down, linux) == "eth0 10.0.0.1/24\n"


# -- canonical form ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("1,2,3,4,7", "1-4,7"),
        ("7,1-4", "1-4,7"),
        ("10,11", "10-11"),
        ("A3,A1-A2,B2,Trk1", "A1-A3,B2,Trk1"),
        ("0/1,0/2,0/4", "0/1-0/2,0/4"),
        ("1/1-1/3", "1/1-1/3"),
        ("all", "all"),
        ("1-", "1-"),
        ("5-3", "5-3"),
        ("A1-B3", "A1-B3"),
    ],
)
def test_canonical_ranges(given: str, canonical: str) -> None:
    assert canonical_range(given) == canonical


def test_sorted_items_keep_quoted_items_whole() -> None:
    assert sorted_items('"b c" "a" x', " ") == '"a" "b c" x'
    assert sorted_items("10.0.0.10, 10.0.0.2", ", ") == "10.0.0.2, 10.0.0.10"
    assert sorted_items('"open', " ") == '"open'
    assert split_words('a="x y" b') == ['a="x y"', "b"]


def test_trunk_add_lines_are_merged_then_compacted() -> None:
    text = " switchport trunk allowed vlan 10,11\n switchport trunk allowed vlan add 12,20\n"
    assert canonicalize(text, get_profile("ios")) == " switchport trunk allowed vlan 10-12,20\n"


def test_sequence_numbers_go_only_under_numbered_sections() -> None:
    eos = get_profile("eos")
    text = "ip access-list MGMT\n   10 permit ip any any\nrouter ospf 1\n   10 area 0\n"
    assert (
        canonicalize(text, eos)
        == "ip access-list MGMT\n   permit ip any any\nrouter ospf 1\n   10 area 0\n"
    )


def test_open_brace_lists_are_joined_and_sorted() -> None:
    linux = get_profile("linux")
    text = "\t\telements = { 10.0.0.9, 10.0.0.10,\n\t\t\t     10.0.0.1 }\n"
    assert canonicalize(text, linux) == "\t\telements = { 10.0.0.1, 10.0.0.9, 10.0.0.10 }\n"


def test_collapse_spaces_leaves_quoted_text_alone() -> None:
    text = 'eth0    UP   "two  spaces"\n'
    assert canonicalize(text, get_profile("linux")) == 'eth0 UP "two  spaces"\n'


@pytest.mark.parametrize(
    ("given", "collapsed"),
    [
        ("a\tb", "a b"),  # one tab: no double space, still collapsed
        ("  a \t b", "  a b"),  # indentation kept
        ("a b", "a b"),
        ('a "x\ty"  b', 'a "x\ty" b'),
    ],
)
def test_collapse_spaces_on_lines_with_and_without_runs(given: str, collapsed: str) -> None:
    assert canonicalize(given + "\n", get_profile("junos")) == collapsed + "\n"


def test_unknown_canonicalizer_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="unknown canonicalizer"):
        canonicalize("x", variant("ios", canonicalizers=("nope",)))


def test_section_headers_survive_comment_dropping() -> None:
    linux = variant(
        "linux", comment_prefixes=("#",), canonicalizers=("drop_comment_lines", "collapse_spaces")
    )
    text = "#### ip -br address show\n# a comment\neth0 10.0.0.1/24\n"
    assert normalize(text, linux, KEY) == "#### ip -br address show\neth0 10.0.0.1/24\n"
