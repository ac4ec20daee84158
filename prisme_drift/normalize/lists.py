"""Lists inside a line: port and VLAN ranges, and order-free item lists.

``1,2,3,4,7`` and ``1-4,7`` are the same VLAN set; ``A1-A4,B2`` the same ProCurve ports as
``A1,A2,A3,A4,B2``. One canonical form (sorted, consecutive runs compacted) makes them compare
equal. Anything that does not parse as a list of numbers is left exactly as it was.
"""

from __future__ import annotations

import re

_ITEM = re.compile(r"(?P<prefix>[A-Za-z]*(?:\d+/)*)(?P<number>\d+)")


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    return tuple(
        (int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)
    )


def _parse_token(token: str) -> list[tuple[str, int]] | None:
    first, sep, last = token.partition("-")
    start = _ITEM.fullmatch(first)
    if start is None:
        return None
    prefix, low = start["prefix"], int(start["number"])
    if not sep:
        return [(prefix, low)]
    end = _ITEM.fullmatch(last)
    if end is None or end["prefix"] not in ("", prefix):
        return None
    high = int(end["number"])
    if high < low or high - low > 8192:
        return None
    return [(prefix, n) for n in range(low, high + 1)]


def expand(spec: str) -> set[tuple[str, int]] | None:
    """``A1-A3,B2`` -> {("A", 1), ("A", 2), ("A", 3), ("B", 2)}; None if it is not a range list."""
    items: set[tuple[str, int]] = set()
    for token in spec.split(","):
        parsed = _parse_token(token.strip())
        if parsed is None:
            return None
        items.update(parsed)
    return items


def compact(items: set[tuple[str, int]]) -> str:
    """The canonical text of a set of (prefix, number): sorted, runs of two or more as ``a-b``."""
    parts: list[str] = []
    for prefix in sorted({p for p, _ in items}, key=lambda p: (_natural(p), p)):
        numbers = sorted(n for p, n in items if p == prefix)
        start = prev = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            parts.append(f"{prefix}{start}" if start == prev else f"{prefix}{start}-{prefix}{prev}")
            if n is not None:
                start = prev = n
    return ",".join(parts)


def canonical_range(spec: str) -> str:
    """``1,2,3,4,7`` -> ``1-4,7``; text that is not a range list is returned unchanged."""
    items = expand(spec)
    return compact(items) if items else spec


_WORD = re.compile(r'(?:[^\s"]+|"(?:[^"\\]|\\.)*")+')


def split_words(text: str) -> list[str] | None:
    """Words separated by spaces, a double-quoted part (``name="a b"``) staying whole.

    None when a quote is left open: the caller then leaves the text as it is.
    """
    words = _WORD.findall(text)
    return words if re.sub(r"\s", "", "".join(words)) == re.sub(r"\s", "", text) else None


def _split(items: str, separator: str) -> list[str] | None:
    if separator.strip():
        return [part.strip() for part in items.split(separator.strip())]
    return split_words(items)


def sorted_items(items: str, separator: str) -> str:
    """Order-free items sorted naturally; quoted items (with spaces inside) stay whole."""
    parts = _split(items, separator)
    if parts is None or len(parts) < 2:
        return items
    joiner = separator if separator.strip() else " "
    return joiner.join(sorted(parts, key=lambda part: (_natural(part), part)))
