"""The audit trail: append-only, hash-chained, verifiable.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
entry breaks the chain from there on. The newest hash is also written to ``state/audit-head``:
deleting the last entries, which the chain alone cannot show, then shows as a head mismatch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from prisme_drift.statedir import make_private_dir, write_private_file

GENESIS = "0" * 64
HEAD_FILE = "audit-head"


@dataclass(frozen=True)
class Entry:
    """One audit entry, as stored."""

    id: int
    site: str
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(
    prev_hash: str,
    site: str,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> str:
    """SHA-256 of the previous hash and a canonical JSON of the entry's content."""
    return chain_hash(prev_hash, [site, at.isoformat(), actor, action, subject, details])


def chain_hash(prev_hash: str, content: list[Any]) -> str:
    """SHA-256 of ``[prev_hash, *content]`` as canonical JSON: one link of a hash chain (the
    site's audit trail here, the web page's in ``fleet/webaudit.py``)."""
    body = json.dumps(
        [prev_hash, *content],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def verify_chain(entries: Iterable[Entry], head: str | None) -> list[str]:
    """Problems found in the chain (empty when it verifies), oldest first."""
    problems = []
    prev = GENESIS
    last = GENESIS
    for entry in entries:
        if entry.prev_hash != prev:
            problems.append(
                f"entry {entry.id}: does not follow the previous entry "
                "(an entry before it was deleted or edited)"
            )
        expected = entry_hash(
            entry.prev_hash,
            entry.site,
            entry.at,
            entry.actor,
            entry.action,
            entry.subject,
            entry.details,
        )
        if expected != entry.hash:
            problems.append(f"entry {entry.id}: content does not match its hash (edited)")
        prev = entry.hash
        last = entry.hash
    if head is not None and head != last:
        problems.append(
            "the newest entry is not the one recorded in the head file "
            "(entries were deleted at the end, or the head file was replaced)"
        )
    return problems


def read_head(state_dir: Path) -> str | None:
    """The recorded newest hash, or None before the first entry."""
    try:
        return (state_dir / HEAD_FILE).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def write_head(state_dir: Path, value: str) -> None:
    """Record the newest hash atomically."""
    make_private_dir(state_dir)
    write_private_file(state_dir / HEAD_FILE, value + "\n")
