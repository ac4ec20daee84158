"""Offline tools that need no site: ``compare`` and ``normalize``.

They use a throw-away fingerprint key: secret markers are stable within one run (so equal
secrets compare equal) but mean nothing outside it, and cannot be matched against a dictionary.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from prisme_drift.classify import diff_configs
from prisme_drift.classify.remediation import remediation_lines
from prisme_drift.errors import ConfigError, ProfileError
from prisme_drift.normalize import FingerprintKey, normalize
from prisme_drift.profiles import get_profile


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def _profile(platform: str) -> Any:
    try:
        return get_profile(platform)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from exc


def normalize_file(platform: str, path: Path) -> str:
    """The normalized, redacted text prisme-drift would store for this file."""
    profile = _profile(platform)
    return normalize(_read(path), profile, FingerprintKey(secrets.token_bytes(32)))


def compare_files(platform: str, baseline: Path, running: Path) -> dict[str, Any]:
    """Categorized hunks and remediation that turn ``baseline`` into ``running``."""
    profile = _profile(platform)
    key = FingerprintKey(secrets.token_bytes(32))
    approved = normalize(_read(baseline), profile, key)
    observed = normalize(_read(running), profile, key)
    hunks = diff_configs(approved, observed, profile)
    return {
        "platform": profile.name,
        "hunks": [h.as_dict() for h in hunks],
        "remediation": remediation_lines(approved, observed, profile) if hunks else [],
    }
