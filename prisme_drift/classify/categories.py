"""Category rules from the profile: first match wins, then the nearest categorized ancestor."""

from __future__ import annotations

from collections.abc import Sequence

from prisme_drift.models import Category
from prisme_drift.profiles import Profile
from prisme_drift.profiles.rules import CategoryRule


def _rule_matches(
    rule: CategoryRule, line: str, ancestors: Sequence[str], profile: Profile
) -> bool:
    """``line`` must match; ``parent`` must match an enclosing line or the section line itself
    (so ``config system dns`` is ``addressing`` like everything inside it)."""
    if rule.line is not None and not profile.pattern(rule.line).search(line):
        return False
    if rule.parent is not None:
        return any(profile.pattern(rule.parent).search(a.strip()) for a in (*ancestors, line))
    return True


def _first_rule(line: str, ancestors: Sequence[str], profile: Profile) -> Category | None:
    for rule in profile.categories:
        if _rule_matches(rule, line, ancestors, profile):
            return rule.category
    return None


def _direct(line: str, ancestors: Sequence[str], profile: Profile) -> Category | None:
    """The first rule for the line; a negated line (``no ip routing``) as its positive form."""
    text = line.strip()
    found = _first_rule(text, ancestors, profile)
    negation = profile.negation_prefix
    if found is None and negation and text.startswith(negation):
        found = _first_rule(text[len(negation) :], ancestors, profile)
    return found


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
