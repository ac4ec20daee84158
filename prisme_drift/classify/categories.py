"""Category rules from the profile: first match wins, then the nearest categorized ancestor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from prisme_drift.models import Category
from prisme_drift.profiles import Profile
from prisme_drift.profiles.schema import CategoryRule


@lru_cache(maxsize=4096)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _rule_matches(rule: CategoryRule, line: str, ancestors: Sequence[str]) -> bool:
    if rule.line is not None and not _rx(rule.line).search(line):
        return False
    if rule.parent is not None:
        return any(_rx(rule.parent).search(a.strip()) for a in ancestors)
    return True


def _direct(line: str, ancestors: Sequence[str], profile: Profile) -> Category | None:
    for rule in profile.categories:
        if _rule_matches(rule, line.strip(), ancestors):
            return rule.category
    return None


def categorize(line: str, ancestors: Sequence[str], profile: Profile) -> Category:
    """The one category of a changed line, given the lines it is nested under."""
    found = _direct(line, ancestors, profile)
    if found is not None:
        return found
    for depth in range(len(ancestors) - 1, -1, -1):
        found = _direct(ancestors[depth], ancestors[:depth], profile)
        if found is not None:
            return found
    return Category.OTHER
