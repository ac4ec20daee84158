"""Normalization passes on IOS text: secrets fingerprinted, noise dropped, canonical form."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisme_drift.normalize import FingerprintKey, normalize, redact
from prisme_drift.profiles import get_profile

IOS = get_profile("ios")
KEY = FingerprintKey(b"k" * 32)

RAW = """Building configuration...

Current configuration : 1234 bytes
!
! Last configuration change at 10:11:12 UTC Thu Nov 26 2026 by admin
!
hostname sw01
enable secret 9 $9$Q9Tn1.sEcReT-EnAbLe
username admin privilege 15 secret 9 $9$UsErSeCrEt
snmp-server community Cl1n1cRO RO
tacacs-server key 7 TaCaCsKeY99
ntp clock-period 17179869
interface Vlan99
 ip address 10.99.0.2 255.255.255.0
line vty 0 4
 password 7 0822455D0A16
crypto pki certificate chain TP-self-signed-1
 certificate self-signed 01
  30820229 30820192 A0030201 02020101
  PRIVATEBLOBLINE
  quit
end
"""
SECRETS = [
    "$9$Q9Tn1.sEcReT-EnAbLe",
    "$9$UsErSeCrEt",
    "Cl1n1cRO",
    "TaCaCsKeY99",
    "0822455D0A16",
    "PRIVATEBLOBLINE",
    "30820229",
]


def test_no_secret_survives_and_markers_stand_in() -> None:
    text = normalize(RAW, IOS, KEY)
    for secret in SECRETS:
        assert secret not in text
    assert "snmp-server community <secret:" in text
    assert "enable secret 9 <secret:" in text


def test_noise_and_header_lines_are_dropped() -> None:
    text = normalize(RAW, IOS, KEY)
    for noise in (
        "Building configuration",
        "Current configuration",
        "Last configuration change",
        "ntp clock-period",
    ):
        assert noise not in text
    assert not any(line.strip() == "!" for line in text.splitlines())
    assert text.endswith("end\n")


def test_changed_secret_changes_the_marker_unchanged_does_not() -> None:
    a = normalize(RAW, IOS, KEY)
    assert normalize(RAW, IOS, KEY) == a
    b = normalize(RAW.replace("Cl1n1cRO", "N3wC0mmunity"), IOS, KEY)
    assert a != b
    assert "N3wC0mmunity" not in b


def test_fingerprints_depend_on_the_site_key() -> None:
    other = FingerprintKey(b"o" * 32)
    assert normalize(RAW, IOS, KEY) != normalize(RAW, IOS, other)


def test_idempotent() -> None:
    once = normalize(RAW, IOS, KEY)
    assert normalize(once, IOS, KEY) == once
    assert redact(once, IOS, KEY) == once


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = FingerprintKey.load_or_create(tmp_path)
    assert (tmp_path / "fingerprint.key").stat().st_mode & 0o777 == 0o600
    assert FingerprintKey.load_or_create(tmp_path) == first
    assert "hidden" in repr(first)


def test_short_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fingerprint.key").write_bytes(b"short")
    from prisme_drift.errors import NormalizeError

    with pytest.raises(NormalizeError, match="restore it from backup"):
        FingerprintKey.load_or_create(tmp_path)
