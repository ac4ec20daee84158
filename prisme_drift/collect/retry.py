"""Retries: transport errors only, with exponential backoff and jitter, never past the deadline.

Authentication failures are never retried: three quick wrong tries lock many devices' accounts.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from prisme_drift.collect.napalm_fetch import fetch_napalm
from prisme_drift.collect.netmiko_fetch import fetch_netmiko
from prisme_drift.collect.session import Target
from prisme_drift.errors import CollectError
from prisme_drift.profiles import Profile

log = logging.getLogger(__name__)

#: (target, profile, budget, connection options, wants_facts) -> (configuration, facts)
Fetcher = Callable[
    [Target, Profile, float, dict[str, Any], Callable[[str], bool] | None],
    tuple[str, dict[str, Any]],
]
FETCHERS: dict[str, Fetcher] = {"napalm": fetch_napalm, "netmiko": fetch_netmiko}


def backoff_delay(attempt: int, base: float, jitter: float = 0.5) -> float:
    """base * 2**attempt, scaled by a random factor in [1 - jitter, 1 + jitter]."""
    return float(base * (2**attempt) * random.uniform(1 - jitter, 1 + jitter))


def fetch_with_retries(
    target: Target,
    profile: Profile,
    *,
    deadline: float,
    retries: int,
    backoff: float,
    conn_args: dict[str, Any],
    wants_facts: Callable[[str], bool] | None = None,
) -> tuple[str, dict[str, Any], int]:
    """(config, facts, attempts) from the profile's fetcher; raises the last CollectError.

    ``wants_facts(config)``: asked once the configuration is read, in the same session.
    """
    fetch = FETCHERS[profile.collect.method]
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CollectError("hard time limit reached before a complete fetch", kind="timeout")
        try:
            config, facts = fetch(target, profile, remaining, conn_args, wants_facts)
            return config, facts, attempt + 1
        except CollectError as exc:
            exc.attempts = attempt + 1
            if not exc.retryable or attempt >= retries:
                raise
            delay = min(backoff_delay(attempt, backoff), max(0.0, deadline - time.monotonic()))
            log.info(
                "%s: %s (%s), retry %d in %.1fs", target.name, exc.kind, exc, attempt + 1, delay
            )
            time.sleep(delay)
            attempt += 1
