"""Regular expressions from profiles, compiled once per process whichever stage reads them."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, cached: profile patterns are few and read at every line."""
    return re.compile(pattern)
