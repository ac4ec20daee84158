"""Configuration text as a tree of lines.

hier_config parses the platforms it knows (banners, IOS quirks); our own parsers serve the
others (see ``dialects``). Either way the rest of the engine sees the same plain ``Node`` tree.
"""

from __future__ import annotations

import logging

from prisme_drift.classify.dialects import parse_with
from prisme_drift.classify.node import Node
from prisme_drift.errors import ClassifyError, PrismeDriftError
from prisme_drift.normalize.sections import Stanza, differing, join, merged_stanzas
from prisme_drift.profiles import Profile

__all__ = ["Node", "parse", "parse_compared", "parse_many"]

log = logging.getLogger(__name__)


def sections_independent(profile: Profile) -> bool:
    """Whether hier_config reads each top-level section of this platform on its own.

    True where the profile says so (``sections_independent``: its post-load callbacks only
    renumber ACLs or split a bare ``vlan 1,10``); ProCurve's callbacks move VLAN membership into
    interface sections, so every section must be there.
    """
    return profile.hier_config_platform is not None and profile.sections_independent


def _parse_own(text: str, profile: Profile, name: str) -> Node:
    try:
        return parse_with(name, text, profile)
    except PrismeDriftError:
        raise
    except Exception as exc:
        raise ClassifyError(f"cannot parse {profile.name} configuration: {exc}") from exc


def parse_many(texts: list[str], profile: Profile) -> list[Node]:
    """Parse configurations that will be compared, all with the same parser.

    hier_config refuses a section written twice: it gets them merged, as the device would merge
    them. If it still refuses a configuration, every text of the comparison goes through the
    indentation parser, so parser differences never show as drift.
    """
    if profile.tree_parser == "hier_config":
        try:
            return [parse_with("hier_config", join(merged_stanzas(t)), profile) for t in texts]
        except Exception as exc:
            log.warning(
                "%s: hier_config cannot parse this configuration (%s); "
                "using the indentation parser",
                profile.name,
                exc,
            )
        return [_parse_own(t, profile, "indent") for t in texts]
    return [_parse_own(t, profile, profile.tree_parser) for t in texts]


def parse(text: str, profile: Profile) -> Node:
    """Parse one normalized configuration into a tree (root text is empty)."""
    return parse_many([text], profile)[0]


def compared_parts(
    approved: str, observed: str, profile: Profile
) -> tuple[list[Stanza], list[Stanza]]:
    """The top-level sections (duplicates merged) of two configurations that matter to their
    comparison: those that differ, or all of them where sections depend on each other."""
    ours, theirs = merged_stanzas(approved), merged_stanzas(observed)
    return differing(ours, theirs) if sections_independent(profile) else (ours, theirs)


def parse_compared(approved: str, observed: str, profile: Profile) -> tuple[Node, Node]:
    """Both configurations parsed for a comparison: what differs between them, nothing more.

    Where hier_config reads each top-level section on its own, a section found unchanged on the
    other side holds no difference and is left out before parsing: on a large configuration that
    is most of the text, and hier_config's parse is most of the cost.
    """
    if profile.tree_parser != "hier_config":
        old, new = parse_many([approved, observed], profile)
        return old, new
    ours, theirs = compared_parts(approved, observed, profile)
    old, new = parse_many([join(ours), join(theirs)], profile)
    return old, new
