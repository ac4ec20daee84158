"""Normalization: secrets, then noise, then canonical form. Three passes, never merged.

Secrets go first so that no later pass, log line or error message can ever see a secret value.
"""

from __future__ import annotations

from prisme_drift.normalize.canonical import canonicalize
from prisme_drift.normalize.noise import drop_noise
from prisme_drift.normalize.secrets import FingerprintKey, redact
from prisme_drift.profiles import Profile

__all__ = ["FingerprintKey", "canonicalize", "drop_noise", "normalize", "redact"]


def normalize(text: str, profile: Profile, key: FingerprintKey) -> str:
    """What the baseline stores for a fetched configuration."""
    return canonicalize(drop_noise(redact(text, profile, key), profile), profile)
