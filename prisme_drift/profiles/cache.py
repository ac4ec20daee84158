"""A cache of parsed and validated platform profiles: a command started often (``compare``)
neither parses every profile file nor validates the one it uses at each start, and never
builds the profile schema (``defer_build``) when the profile it needs was validated before.

One small file per profile file content, in ``$XDG_CACHE_HOME/prisme-drift/profiles/`` (else
``~/.cache/prisme-drift/profiles/``): the profile's name and aliases and, once it has been
validated, the validated :class:`Profile`. The file's name is a SHA-256 of the profile file's
bytes, of prisme-drift's version and of the source of the modules whose classes it holds, and
of the pydantic and Python versions: an edited profile, another release or another schema never
match an old entry, so the file is read and validated again (a broken edit gives the same
ProfileError as without the cache). An entry that cannot be read or holds anything unexpected is
ignored and written again; a cache folder that cannot be written is no error (the profiles are
then read as without a cache).

Entries are pickles: one is read only from a folder and a file that belong to the account
running prisme-drift and that no other account may write.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import pickle
import sys
from functools import lru_cache
from pathlib import Path

import pydantic
import pydantic_core

from prisme_drift import __version__
from prisme_drift.profiles.schema import Profile

log = logging.getLogger(__name__)

#: What a cache entry gives: name, aliases, and the validated profile (None: not validated yet).
#: Its file holds them after its own key (the file's name), so that a file renamed or copied
#: under another key is not read as that key's entry.
Cached = tuple[str, tuple[str, ...], Profile | None]
#: The modules whose classes an entry holds, or which decide what validation accepts.
_SCHEMA_MODULES = (
    "prisme_drift.models",
    "prisme_drift.devicestate",
    "prisme_drift.profiles.rules",
    "prisme_drift.profiles.state_schema",
    "prisme_drift.profiles.schema",
    __name__,
)
_PRIVATE = 0o700
_NOT_OURS = 0o022  # group or other may write


def cache_folder() -> Path | None:
    """Where entries go: ``$CACHE_DIRECTORY/profiles`` under systemd (the unit's
    ``CacheDirectory=``, its first folder), else ``$XDG_CACHE_HOME`` (when absolute) or
    ``~/.cache``, then ``prisme-drift/profiles``; None when there is no home to put it in."""
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if os.path.isabs(systemd):
        return Path(systemd) / "profiles"
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no password entry
            return None
    return Path(base) / "prisme-drift" / "profiles"


@lru_cache(maxsize=1)
def _salt() -> bytes | None:
    """Everything but the profile file that an entry depends on (None: a module's source
    cannot be read, so no entry can be trusted)."""
    digest = hashlib.sha256(b"prisme-drift profile cache 1\0")
    for part in (__version__, pydantic.VERSION, pydantic_core.__version__, sys.version):
        digest.update(part.encode() + b"\0")
    try:
        for name in _SCHEMA_MODULES:
            spec = importlib.util.find_spec(name)
            digest.update(Path(str(spec and spec.origin)).read_bytes())
    except OSError:
        return None
    return digest.digest()


def _entry_path(raw: bytes) -> Path | None:
    """The entry's file for the profile file whose bytes are ``raw``; None: no cache here."""
    folder, salt = cache_folder(), _salt()
    if folder is None or salt is None:
        return None
    return folder / f"{hashlib.sha256(salt + raw).hexdigest()}.pickle"


def _ours(stat: os.stat_result) -> bool:
    return stat.st_uid == os.geteuid() and not stat.st_mode & _NOT_OURS


def _valid(value: object, key: str) -> Cached | None:
    """The entry in an unpickled ``value``, if it is one and was written under ``key``."""
    if not (isinstance(value, tuple) and len(value) == 4 and value[0] == key):
        return None
    _, name, aliases, profile = value
    if not isinstance(name, str) or not isinstance(aliases, tuple):
        return None
    if not all(isinstance(alias, str) for alias in aliases):
        return None
    if profile is not None and not (isinstance(profile, Profile) and profile.name == name):
        return None
    return name, aliases, profile


def read(raw: bytes) -> Cached | None:
    """The entry of the profile file whose bytes are ``raw``; None when there is none (or it
    is unreadable, corrupt, or not safely ours)."""
    path = _entry_path(raw)
    if path is None:
        return None
    try:
        if not _ours(path.parent.stat()):
            return None
        with open(path, "rb", opener=_no_follow) as handle:
            if not _ours(os.fstat(handle.fileno())):
                log.debug("%s: ignored, another account may write it", path)
                return None
            value = pickle.load(handle)  # noqa: S301 - our own private file, checked above
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file is a miss, whatever broke
        log.debug("%s: ignored (%s: %s)", path, type(exc).__name__, exc)
        return None
    entry = _valid(value, path.stem)
    if entry is None:
        log.debug("%s: ignored, it holds no profile entry", path)
    return entry


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)


def write(raw: bytes, entry: Cached) -> None:
    """Keep ``entry`` for the profile file whose bytes are ``raw`` (atomically: a reader sees
    the old entry or the new one); a cache that cannot be written is skipped silently."""
    path = _entry_path(raw)
    if path is None:
        return
    folder, tmp = path.parent, path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=_PRIVATE)
        if not _ours(folder.stat()):
            return
        data = pickle.dumps((path.stem, *entry), protocol=pickle.HIGHEST_PROTOCOL)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError) as exc:
        log.debug("profile cache %s not written: %s", folder, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
