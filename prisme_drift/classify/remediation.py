"""Remediation hints: the commands that would bring a device back to its approved configuration.

Computed with hier_config where the platform has a driver; shown in alerts and reports, never
applied (the daemon never writes to devices).
"""

from __future__ import annotations

import logging

from prisme_drift.models import Hunk
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)


def remediation_lines(approved: str, observed: str, profile: Profile) -> list[str]:
    """Commands, in the platform's syntax, that turn observed back into approved; [] if unknown."""
    if not profile.hier_config_platform or approved == observed:
        return []
    from hier_config import Platform, get_hconfig

    try:
        platform = Platform[profile.hier_config_platform]
        running = get_hconfig(platform, observed)
        wanted = get_hconfig(platform, approved)
        remediation = running.config_to_get_to(wanted)
        return [str(child.cisco_style_text()) for child in remediation.all_children_sorted()]
    except Exception:  # a hint is optional: never let it break a poll
        log.warning("%s: remediation could not be computed", profile.name, exc_info=True)
        return []


def _section(line: str) -> str:
    text = line.strip()
    return text[3:] if text.startswith("no ") else text


def remediation_for(hunk: Hunk, lines: list[str]) -> list[str]:
    """The part of a device's remediation that concerns one hunk's top-level section."""
    if not lines:
        return []
    anchor = hunk.path[0] if hunk.path else (hunk.added or hunk.removed or ("",))[0].strip()
    out: list[str] = []
    current: str | None = None
    for line in lines:
        if not line.startswith(" "):
            current = _section(line)
        if current == anchor:
            out.append(line)
    return out
