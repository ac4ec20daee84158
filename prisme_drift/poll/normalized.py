"""A poll's normalized configurations, and raw configurations seen before (not normalized again).

Normalizing every configuration at every poll was most of what an unchanged poll cost beyond
its SSH sessions (issue 14). The state folder keeps, per device, ``raw-digests.json``: a keyed
digest of the last raw text normalized (HMAC-SHA256 under the site's fingerprint key, over the
normalizer's identity and the raw text: never the text, which holds secrets) and the git blob
id of what it normalized to. That pair is a fact about the normalizer, whatever happened since.
A poll whose raw text has the recorded digest takes the observed configuration as its
normalized text only when the observed file on the baseline is that very blob. A changed
profile, normalizer code or key changes the digest; a baseline moved by other means changes
the blob; either way the text is normalized again. A lost or unreadable file costs one
normalization per device, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.baseline.store import blob_id
from prisme_drift.normalize import FingerprintKey, normalize
from prisme_drift.normalize.identity import normalizer_identity
from prisme_drift.profiles import Profile, get_profile
from prisme_drift.statedir import write_private_file

log = logging.getLogger(__name__)

#: Device -> keyed digest of its last normalized raw text, and the blob it normalized to.
RAW_DIGESTS = "raw-digests.json"


@dataclass(frozen=True)
class Seen:
    """A raw text's keyed digest and the blob id of its normalized text."""

    raw: str
    blob: str


def raw_digest(raw: str, profile: Profile, key: FingerprintKey) -> str:
    """HMAC-SHA256 of the normalizer's identity and ``raw`` under the site's key (hex)."""
    mac = hmac.new(key.value, normalizer_identity(profile), hashlib.sha256)
    mac.update(raw.encode("utf-8"))
    return mac.hexdigest()


def read_digests(state_dir: Path) -> dict[str, Seen]:
    """The recorded digests by device ({} when the file is missing or unreadable)."""
    try:
        data = json.loads((state_dir / RAW_DIGESTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found = {}
    for device, entry in data.items():
        if isinstance(entry, dict):
            raw, blob = entry.get("raw"), entry.get("blob")
            if isinstance(raw, str) and isinstance(blob, str):
                found[str(device)] = Seen(raw, blob)
    return found


def write_digests(state_dir: Path, seen: Mapping[str, Seen]) -> None:
    """Replace the file (0600, atomically) by ``seen``."""
    data = {device: {"raw": s.raw, "blob": s.blob} for device, s in sorted(seen.items())}
    write_private_file(state_dir / RAW_DIGESTS, json.dumps(data, indent=1) + "\n")


class Normalized:
    """A poll's normalized configurations, by device: each raw text is normalized once, whether
    the collection worker (facts rule), the state planning or the judgement asks first, and not
    at all when it is the raw text last normalized into the observed configuration."""

    def __init__(
        self,
        key: FingerprintKey,
        reusable: Mapping[str, tuple[str, str]] | None = None,
        seen: Mapping[str, Seen] | None = None,
    ) -> None:
        self.key = key
        self._reusable = dict(reusable or {})  # device -> (raw digest, its normalized text)
        self._seen = dict(seen or {})
        self._moved = False
        self._done: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        key: FingerprintKey,
        repo: BaselineRepo,
        state_dir: Path,
        observed: Mapping[str, str | None],
    ) -> Normalized:
        """With the recorded digests (``state_dir``) of the devices whose observed
        configuration (``observed``, read from ``repo``) is the blob recorded with them."""
        seen = read_digests(state_dir)
        reusable = {}
        for device, config in observed.items():
            known = seen.get(device)
            if known and config is not None and repo.config_blob(OBSERVED, device) == known.blob:
                reusable[device] = (known.raw, config)
        return cls(key, reusable, seen)

    def get(self, device: str, platform: str, raw: str) -> str:
        """The normalized text of ``raw`` (computed at most once per device and raw text)."""
        with self._lock:
            known = self._done.get(device)
        if known is not None and known[0] == raw:
            return known[1]
        profile = get_profile(platform)
        digest = raw_digest(raw, profile, self.key)
        reuse = self._reusable.get(device)
        if reuse is not None and reuse[0] == digest:
            config = reuse[1]
        else:
            config = normalize(raw, profile, self.key)
            with self._lock:
                self._seen[device] = Seen(digest, blob_id(config))
                self._moved = True
        with self._lock:
            self._done[device] = (raw, config)
        return config

    def save(self, state_dir: Path, devices: Iterable[str]) -> None:
        """Record the digests of ``devices`` (the inventory's) when one moved; never raises
        (a digest not written only costs a normalization at the next poll)."""
        keep = set(devices)
        with self._lock:
            seen = {d: s for d, s in self._seen.items() if d in keep}
            if not self._moved and len(seen) == len(self._seen):
                return
        try:
            write_digests(state_dir, seen)
        except OSError as exc:
            log.warning("%s not written (%s): normalized again next poll", RAW_DIGESTS, exc)
