"""Platform profiles: one YAML data file per platform, validated by a frozen schema.

Adding a platform means adding ``<name>.yaml`` here and fixture folders under
``tests/platforms/<name>/``; the engine never tests ``platform == ...``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from prisme_drift.errors import ProfileError
from prisme_drift.profiles.schema import Profile

__all__ = ["Profile", "get_profile", "known_platforms"]


@cache
def _load_all() -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            profile = Profile.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
        except (ValidationError, yaml.YAMLError) as exc:
            raise ProfileError(f"profile file {entry.name} is invalid: {exc}") from exc
        for key in (profile.name, *profile.aliases):
            profiles[key] = profile
    return profiles


def known_platforms() -> list[str]:
    """Profile names (not aliases), sorted."""
    return sorted({p.name for p in _load_all().values()})


def get_profile(platform: str) -> Profile:
    """The profile for a Nornir ``platform`` value or one of its aliases."""
    try:
        return _load_all()[platform]
    except KeyError:
        raise ProfileError(
            f"unknown platform {platform!r}; known platforms: {', '.join(known_platforms())}"
        ) from None
