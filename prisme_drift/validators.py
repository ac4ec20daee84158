"""Validated value types shared by every settings schema."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def known_timezone(value: str) -> str:
    """An IANA timezone name, or ValueError saying what a good one looks like."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {value!r}, use an IANA name such as 'Indian/Reunion'"
        ) from exc
    return value


TimezoneName = Annotated[str, AfterValidator(known_timezone)]
