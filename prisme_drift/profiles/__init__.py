"""Platform profiles: one YAML data file per platform, validated by a frozen schema.

Adding a platform means adding ``<name>.yaml`` here and fixture folders under
``tests/platforms/<name>/``; the engine never tests ``platform == ...``. A site adds or replaces
profiles without touching the package: every ``*.yaml`` of its ``profiles/`` folder (next to
the settings file) is loaded after the built-in ones, and a profile with a built-in profile's
name replaces it (see docs/platforms.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from prisme_drift.errors import ConfigError, ProfileError
from prisme_drift.profiles.schema import Profile
from prisme_drift.yamlio import load_yaml

__all__ = [
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


def load_profile_file(path: Path) -> Profile:
    """One profile file, read strictly (a key written twice is refused) and validated.

    Raises ProfileError naming the file, and each wrong key with what it accepts.
    """
    try:
        data: Any = load_yaml(path, what="platform profile", quote=True)
    except ConfigError as exc:
        raise ProfileError(str(exc)) from None
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ProfileError(f"{path}: invalid platform profile: {problems}") from None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def _signature(folder: Path | None) -> _Signature:
    if folder is None:
        return ()
    stats = ((p, p.stat()) for p in _files(folder))
    return tuple((str(p), s.st_mtime_ns, s.st_size) for p, s in stats)


@lru_cache(maxsize=4)
def _load(folder: Path | None, signature: _Signature) -> dict[str, Profile]:
    """Built-in profiles, then the site's: a site profile replaces the built-in of its name
    (aliases included), and its name and aliases win over any built-in alias."""
    builtin = [load_profile_file(p) for p in _files(BUILTIN)]
    site = [load_profile_file(p) for p in _files(folder)] if folder is not None else []
    replaced = {p.name for p in site}
    profiles: dict[str, Profile] = {}
    for profile in [p for p in builtin if p.name not in replaced] + site:
        for key in (profile.name, *profile.aliases):
            profiles[key] = profile
    if site:
        log.info("site profiles from %s: %s", folder, ", ".join(sorted(replaced)))
    return profiles


def _all() -> dict[str, Profile]:
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
        return _all()[platform]
    except KeyError:
        raise ProfileError(
            f"unknown platform {platform!r}; known platforms: {', '.join(known_platforms())}"
        ) from None
