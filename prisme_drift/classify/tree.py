"""Configuration text as a tree of lines.

hier_config parses the platforms it knows (banners, IOS quirks); our own parsers serve the
others (see ``dialects``). Either way the rest of the engine sees the same plain ``Node`` tree.
"""

from __future__ import annotations

import logging

from prisme_drift.classify.dialects import parse_with
from prisme_drift.classify.node import Node
from prisme_drift.errors import ClassifyError, PrismeDriftError
from prisme_drift.profiles import Profile

__all__ = ["Node", "parse", "parse_many"]

log = logging.getLogger(__name__)


def _parse_own(text: str, profile: Profile, name: str) -> Node:
    try:
        return parse_with(name, text, profile)
    except PrismeDriftError:
        raise
    except Exception as exc:
        raise ClassifyError(f"cannot parse {profile.name} configuration: {exc}") from exc


def parse_many(texts: list[str], profile: Profile) -> list[Node]:
    """Parse configurations that will be compared, all with the same parser.

    hier_config refuses some real configurations (duplicate sections); then every text of the
    comparison goes through the indentation parser, so parser differences never show as drift.
    """
    if profile.tree_parser == "hier_config":
        try:
            return [parse_with("hier_config", t, profile) for t in texts]
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
