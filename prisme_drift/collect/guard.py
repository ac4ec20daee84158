"""The fetch guard: an empty, truncated or error-text fetch is never taken as the configuration.

A quarantined fetch commits nothing, opens or closes no drift, and leaves the last good baseline
as it was; it is recorded as a fetch anomaly instead (Oxidized's most reported failure).
"""

from __future__ import annotations

from prisme_drift.models import GuardResult
from prisme_drift.profiles import Profile
from prisme_drift.profiles.prefilter import any_of


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line
    return ""


def _error_text(lines: list[str], profile: Profile) -> GuardResult | None:
    """The first signature (in profile order) found on a line, at its first line."""
    signatures = profile.guard.error_signatures
    if not signatures:
        return None
    maybe = any_of(signatures)  # one search per line rules out the clean ones
    found = range(len(lines)) if maybe is None else maybe.keep(lines)
    hits = [(n + 1, lines[n]) for n in found]
    for pattern in signatures:
        rx = profile.pattern(pattern)
        for number, line in hits:
            match = rx.search(line)
            if match:
                # Only the matched signature is quoted: the rest of a raw line may hold a secret.
                detail = f"error text in the output, line {number}: {match.group(0)[:60]!r}"
                return GuardResult("error_text", detail)
    return None


def check_fetch(
    config: str | None,
    profile: Profile,
    last_good_lines: int | None = None,
    min_share: float = 0.5,
) -> GuardResult:
    """Judge a raw fetch (before normalization); ``reason`` names the first problem found."""
    if config is None or not config.strip():
        return GuardResult("empty", "the device returned no configuration")
    lines = [line for line in config.splitlines() if line.strip()]
    error = _error_text(lines, profile)
    if error is not None:
        return error
    marker = profile.guard.end_marker
    if marker and not profile.pattern(marker).search(_last_line(config)):
        return GuardResult(
            "truncated", f"the output does not end with the {profile.name} end marker"
        )
    if len(lines) < profile.guard.min_lines:
        return GuardResult(
            "truncated", f"only {len(lines)} lines (at least {profile.guard.min_lines})"
        )
    if last_good_lines and len(lines) < min_share * last_good_lines:
        return GuardResult(
            "truncated",
            f"{len(lines)} lines, less than {min_share:.0%} of the last good fetch "
            f"({last_good_lines} lines)",
        )
    return GuardResult()
