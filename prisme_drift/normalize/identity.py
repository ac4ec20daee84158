"""What a normalized text depends on besides the raw text and the key: the profile's data and the
normalizer's own code. Two equal identities normalize equal raw texts alike.

A poll that sees a raw configuration again may reuse the text it normalized last time only if
nothing else moved: the identity changes with any edit to the profile (a site profile too) or
to the code of the normalization passes and of the profile rules they read.
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import cache
from pathlib import Path

from prisme_drift import __version__
from prisme_drift.profiles import BUILTIN, Profile

#: The packages whose code decides a normalized text (the passes, the rules and prefilter).
_CODE = (Path(__file__).resolve().parent, BUILTIN)

_KEEP = 256
_lock = threading.Lock()
_by_profile: dict[int, tuple[Profile, bytes]] = {}


@cache
def _code_digest() -> bytes:
    """The version and the source of the normalizer's modules, hashed once per process."""
    digest = hashlib.sha256(__version__.encode("utf-8"))
    try:
        for folder in _CODE:
            for path in sorted(folder.glob("*.py")):
                digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    except OSError:  # unreadable sources: an identity no other process shares (no reuse)
        digest.update(os.urandom(32))
    return digest.digest()


def normalizer_identity(profile: Profile) -> bytes:
    """A digest of the profile's data and the normalizer's code (computed once per profile)."""
    with _lock:
        known = _by_profile.get(id(profile))
        if known is not None and known[0] is profile:
            return known[1]
        if len(_by_profile) > _KEEP:  # site profiles edited many times in a long-lived daemon
            _by_profile.clear()
        digest = hashlib.sha256(_code_digest())
        digest.update(profile.model_dump_json().encode("utf-8"))
        _by_profile[id(profile)] = (profile, digest.digest())
        return _by_profile[id(profile)][1]
