"""Properties over generated input, for every platform profile.

Each property draws the platform too, so the whole file stays around a hundred examples per
property; the bases are the fixture configurations (tests/platforms), cut short to stay fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prisme_drift.classify import diff_configs
from prisme_drift.classify.dialects import render
from prisme_drift.classify.tree import parse
from prisme_drift.errors import PrismeDriftError
from prisme_drift.normalize import FingerprintKey, normalize, redact
from prisme_drift.profiles import get_profile, known_platforms

FIXTURES = Path(__file__).parents[1] / "platforms"
KEY = FingerprintKey(b"property-test-key-0123456789abcd")
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Where each platform keeps a secret: `{s}` is replaced by a generated value.
SECRET_LINES: dict[str, list[str]] = {
    "ios": [
        "enable secret 9 {s}",
        "username tech privilege 15 secret 9 {s}",
        "snmp-server community {s} RO",
        "snmp-server user u g v3 auth sha {s} priv aes 128 {s}",
        "tacacs-server key 7 {s}",
        "crypto isakmp key {s} address 0.0.0.0",
        "dot11 ssid X\n   wpa-psk ascii 7 {s}",
        "interface Vlan1\n ip ospf message-digest-key 1 md5 {s}",
        "wlan STAFF 1 STAFF\n security wpa psk set-key ascii 0 {s}",
        "radius server R\n address ipv4 10.0.0.1 auth-port 1812\n key 7 {s}",
    ],
    "nxos_ssh": [
        "username a password 5 {s} role network-admin",
        "snmp-server community {s} group network-operator",
        'tacacs-server key 7 "{s}"',
        "snmp-server user a network-admin auth md5 {s} priv {s} localizedkey",
    ],
    "eos": [
        "username a privilege 15 role network-admin secret sha512 {s}",
        "snmp-server community {s} ro",
        "tacacs-server host 10.0.0.1 key 7 {s}",
        "router bgp 1\n   neighbor 10.0.0.2 password 7 {s}",
    ],
    "junos": [
        'set system root-authentication encrypted-password "{s}"',
        'set system radius-server 10.0.0.1 secret "{s}"',
        'set security ike policy P pre-shared-key ascii-text "{s}"',
        "set snmp community {s} authorization read-only",
        'set protocols ospf area 0 interface ge-0/0/0.0 authentication md5 1 key "{s}"',
    ],
    "fortinet": [
        "config system admin\n    edit a\n        set password ENC {s}\n    next\nend",
        'config wireless-controller vap\n    edit "v"\n'
        "        set passphrase ENC {s}\n    next\nend",
        'config system snmp community\n    edit 1\n        set name "{s}"\n    next\nend',
        'config vpn certificate local\n    edit "c"\n'
        '        set private-key "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{s}\n'
        '-----END ENCRYPTED PRIVATE KEY-----"\n    next\nend',
    ],
    "mikrotik_routeros": [
        "/interface wifi add name=w security.passphrase={s}",
        '/interface wireless security-profiles add name=p wpa2-pre-shared-key="{s}"',
        "/ip ipsec identity add peer=p secret={s}",
        "/ppp secret add name=u password={s}",
        "/snmp community\nset [ find default=yes ] name={s}",
        "/interface wifi\nadd name=w2 security.passphrase=\\\n    {s}",
        "/routing bgp connection add name=b tcp-md5-key={s}",
        "/interface wireguard peers add interface=wg preshared-key={s} public-key=x",
    ],
    "hp_procurve": [
        'snmp-server community "{s}" operator',
        'radius-server host 10.0.0.1 key "{s}"',
        'password manager user-name "admin" sha1 "{s}"',
        'aaa authentication local-user "tech" group "ops" password sha1 "{s}"',
    ],
    "cisco_s300": [
        "username a password encrypted {s} privilege 15",
        "encrypted snmp-server community {s} ro view Default",
        "radius-server host 10.0.0.1 encrypted key {s}",
    ],
    "ubiquiti_edgeswitch": [
        'username "a" password {s} level 15 encrypted',
        'snmp-server community "{s}" ro',
    ],
    "linux": ["#### sudo -n nft -s list ruleset\n# wireguard private-key {s}"],
}

platforms = st.sampled_from(sorted(known_platforms()))
junk_line = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60
)
secret_value = st.text(
    alphabet=st.characters(categories=["Lu", "Ll", "Nd"], include_characters="!@%+=._-"),
    min_size=10,
    max_size=40,
).filter(lambda s: any(not c.isdigit() and c not in "abcdef" for c in s))


@cache
def base(platform: str) -> str:
    """The head of the platform's first fixture: realistic, and small enough to be fast."""
    raw = sorted((FIXTURES / platform).glob("*/raw.txt"))[0].read_text(encoding="utf-8")
    return "\n".join(raw.splitlines()[:60]) + "\n"


def mutated(platform: str, lines: list[str], where: int) -> str:
    text = base(platform).splitlines()
    position = where % (len(text) + 1)
    return "\n".join(text[:position] + lines + text[position:]) + "\n"


@PROPERTY
@given(platform=platforms, lines=st.lists(junk_line, max_size=6), where=st.integers(0, 200))
def test_normalize_and_redact_are_idempotent(platform: str, lines: list[str], where: int) -> None:
    profile = get_profile(platform)
    once = normalize(mutated(platform, lines, where), profile, KEY)
    assert normalize(once, profile, KEY) == once
    assert redact(once, profile, KEY) == once


@PROPERTY
@given(data=st.data(), platform=st.sampled_from(sorted(SECRET_LINES)), secret=secret_value)
def test_no_injected_secret_survives(data: st.DataObject, platform: str, secret: str) -> None:
    profile = get_profile(platform)
    assume(secret not in base(platform))
    template = data.draw(st.sampled_from(SECRET_LINES[platform]))
    text = base(platform) + template.format(s=secret) + "\n"
    assert secret not in normalize(text, profile, KEY)
    assert secret not in redact(text, profile, KEY)


@PROPERTY
@given(platform=platforms, lines=st.lists(junk_line, max_size=6), where=st.integers(0, 200))
def test_identical_configurations_give_no_hunks(
    platform: str, lines: list[str], where: int
) -> None:
    profile = get_profile(platform)
    text = normalize(mutated(platform, lines, where), profile, KEY)
    assert diff_configs(text, text + "\n", profile) == []
    assert diff_configs(text, render(parse(text, profile), profile), profile) == []


@PROPERTY
@given(platform=platforms, text=st.text(max_size=400), other=st.text(max_size=200))
def test_arbitrary_text_raises_only_our_errors(platform: str, text: str, other: str) -> None:
    profile = get_profile(platform)
    try:
        stored = normalize(text, profile, KEY)
        parse(stored, profile)
        diff_configs(stored, normalize(other, profile, KEY), profile)
    except PrismeDriftError:
        pass
