"""Platform profiles: one YAML data file per platform, validated by a frozen schema.

Adding a platform means adding ``<name>.yaml`` here and fixture folders under
``tests/platforms/<name>/``; the engine never tests ``platform == ...``. A site adds or replaces
profiles without touching the package: every ``*.yaml`` of its ``profiles/`` folder (next to
the settings file) is loaded after the built-in ones, and a profile with a built-in profile's
name replaces it. An installed package adds profiles the same way, as nornir plugins register:
an entry point of the ``prisme_drift.profiles`` group names a package whose folder holds them
(loaded after the built-in profiles, before the site's). See docs/platforms.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from prisme_drift.errors import ConfigError, ProfileError
from prisme_drift.profiles import cache
from prisme_drift.profiles.schema import Profile

__all__ = [
    "ENTRY_POINT_GROUP",
    "SITE_PROFILES",
    "Profile",
    "get_profile",
    "known_platforms",
    "load_profile_file",
    "use_site_profiles",
]

log = logging.getLogger(__name__)

BUILTIN = Path(__file__).resolve().parent
#: The folder of a site's own profiles, relative to its settings file.
SITE_PROFILES = "profiles"
#: The entry point group through which an installed package adds profiles.
ENTRY_POINT_GROUP = "prisme_drift.profiles"
#: A file's path and what identifies its content (modification time and size).
_Signature = tuple[tuple[str, int, int], ...]


@dataclass
class _Site:
    """The site profiles folder in use and the state of its files when it was chosen, as one
    value so that a thread never sees one without the other."""

    chosen: tuple[Path | None, _Signature] = (None, ())


_SITE = _Site()


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{path}: platform profile not found") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read platform profile: {exc}") from None


def _parsed(path: Path, raw: bytes) -> Any:
    # imported here: a profile read from the cache needs no YAML parser (PyYAML: 25 ms of
    # ``compare``'s start-up)
    from prisme_drift.yamlio import parse_yaml_file

    try:
        return parse_yaml_file(path, raw, what="platform profile", quote=True)
    except ConfigError as exc:
        raise ProfileError(str(exc)) from None


def _validated(path: Path, data: Any) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ProfileError(f"{path}: invalid platform profile: {problems}") from None


def load_profile_file(path: Path) -> Profile:
    """One profile file, read strictly (a key written twice is refused) and validated.

    Raises ProfileError naming the file, and each wrong key with what it accepts.
    """
    return _validated(path, _parsed(path, _read_bytes(path)))


class _Entry:
    """One profile file: its name and aliases, and its profile validated (its patterns
    compiled) when first used. Built-in profiles are validated on demand: a command that needs
    one profile does not validate ten. Plugin and site profiles are validated when they are
    loaded, so that a broken one is reported before it is switched to. What a file held the
    last time it was read comes from the cache (``profiles.cache``) when its bytes are the same:
    neither parsed nor validated again."""

    def __init__(self, path: Path, raw: bytes) -> None:
        self.path, self._raw = path, raw
        self._data: Any = None
        cached = cache.read(raw)
        if cached is None:
            self._data = _parsed(path, raw)
            cached = (*_header(self._data), None)
            cache.write(raw, cached)
        self.name, self.aliases, self._profile = cached

    @property
    def profile(self) -> Profile:
        """The validated profile (ProfileError naming the file if it is invalid)."""
        if self._profile is None:
            data = self._data if self._data is not None else _parsed(self.path, self._raw)
            self._profile = _validated(self.path, data)
            cache.write(self._raw, (self.name, self.aliases, self._profile))
        return self._profile


def _header(data: Any) -> tuple[str, tuple[str, ...]]:
    """A parsed profile's name and aliases, read before (and whether or not) it is valid."""
    fields = data if isinstance(data, dict) else {}
    aliases = fields.get("aliases") or ()
    listed = tuple(str(a) for a in aliases) if isinstance(aliases, list) else ()
    return str(fields.get("name")), listed


def _entries(paths: list[Path], *, validate: bool) -> list[_Entry]:
    entries = [_Entry(path, _read_bytes(path)) for path in paths]
    for entry in entries if validate else ():
        _ = entry.profile
    return entries


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def _signature(folder: Path | None) -> _Signature:
    if folder is None:
        return ()
    stats = ((p, p.stat()) for p in _files(folder))
    return tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in stats)


def _plugin_folder(entry: EntryPoint) -> Path:
    """The folder of the package an entry point names."""
    try:
        target = entry.load()
        folder = Path(target.__file__).parent
    except Exception as exc:  # a broken plugin is named, whatever broke in it
        raise ProfileError(
            f"entry point {entry.name!r} = {entry.value!r} of group {ENTRY_POINT_GROUP!r} "
            f"cannot be loaded ({type(exc).__name__}: {exc}); it must name an importable "
            "package whose folder holds profile files"
        ) from None
    return folder


def _plugin_files() -> list[Path]:
    entries = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    return [path for entry in entries for path in _files(_plugin_folder(entry))]


def _layered(*layers: list[_Entry]) -> dict[str, _Entry]:
    """Each layer's profiles replace the earlier ones of their name (aliases included); the
    name and aliases of a later profile win over an earlier alias."""
    chosen: dict[str, _Entry] = {}
    for layer in layers:
        chosen.update((p.name, p) for p in layer)
    profiles: dict[str, _Entry] = {}
    for layer in layers:
        for profile in layer:
            if chosen[profile.name] is profile:
                profiles.update(dict.fromkeys((profile.name, *profile.aliases), profile))
    return profiles


@lru_cache(maxsize=4)
def _load(folder: Path | None, signature: _Signature) -> dict[str, _Entry]:
    """Built-in profiles, then installed packages', then the site's."""
    builtin = _entries(_files(BUILTIN), validate=False)
    plugins = _entries(_plugin_files(), validate=True)
    site = _entries(_files(folder), validate=True) if folder is not None else []
    for source, layer in (("installed packages", plugins), (str(folder), site)):
        if layer:
            log.info("profiles from %s: %s", source, ", ".join(sorted(p.name for p in layer)))
    return _layered(builtin, plugins, site)


def _all() -> dict[str, _Entry]:
    return _load(*_SITE.chosen)


def use_site_profiles(folder: Path | None) -> None:
    """From now on, the profiles of ``folder`` (a site's ``profiles/``) add to or replace the
    built-in ones; None or a missing folder: built-in profiles only.

    Files are read again when they changed since the last call (a daemon reload).
    Raises ProfileError naming the file when one of them is invalid.
    """
    chosen = folder if folder is not None and folder.is_dir() else None
    signature = _signature(chosen)
    _load(chosen, signature)  # a broken profile fails here, before anything is switched
    _SITE.chosen = (chosen, signature)


def known_platforms() -> list[str]:
    """Profile names (not aliases), sorted."""
    return sorted({p.name for p in _all().values()})


def get_profile(platform: str) -> Profile:
    """The profile for a Nornir ``platform`` value or one of its aliases."""
    try:
        entry = _all()[platform]
    except KeyError:
        raise ProfileError(
            f"unknown platform {platform!r}; known platforms: {', '.join(known_platforms())}"
        ) from None
    return entry.profile
