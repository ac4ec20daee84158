"""The web page's audit trail in the central database (``web_audit``): hash-chained like the
site's (:mod:`prisme_drift.authorize.audit`), so editing or deleting an entry breaks the chain.

Who did what, from where: logins (ok and failed), logouts, users created, change plans drafted,
approved, refused. Appends are serialised by a transaction-scoped advisory lock, so two
requests never chain onto the same previous entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from prisme_drift.authorize.audit import GENESIS, chain_hash
from prisme_drift.fleet.schema import web_audit
from prisme_drift.timefmt import utcnow

_LOCK_KEY = 0x7765_6261_7564  # "webaud"


def entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    role: str,
    ip: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> str:
    """SHA-256 of the previous hash and a canonical JSON of the entry's content."""
    return chain_hash(
        prev_hash, [at.astimezone(UTC).isoformat(), actor, role, ip, action, subject, details]
    )


def append(
    connection: Connection,
    actor: str,
    role: str,
    ip: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> None:
    """Add one entry chained to the newest one, in the caller's transaction."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = connection.scalar(select(web_audit.c.hash).order_by(web_audit.c.id.desc()).limit(1))
    prev = prev or GENESIS
    at = utcnow().replace(microsecond=0)
    actor, subject = actor[:64], subject[:255]
    digest = entry_hash(prev, at, actor, role, ip, action, subject, details)
    connection.execute(
        web_audit.insert().values(
            at=at,
            actor=actor,
            role=role,
            ip=ip,
            action=action,
            subject=subject,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
    )


def verify(connection: Connection) -> list[str]:
    """Problems found in the chain, oldest first (empty when it verifies)."""
    problems: list[str] = []
    prev = GENESIS
    for row in connection.execute(select(web_audit).order_by(web_audit.c.id)):
        if row.prev_hash != prev:
            problems.append(f"web audit entry {row.id}: previous hash does not match")
        digest = entry_hash(
            row.prev_hash, row.at, row.actor, row.role, row.ip, row.action, row.subject,
            dict(row.details),
        )  # fmt: skip
        if digest != row.hash:
            problems.append(f"web audit entry {row.id}: content does not match its hash")
        prev = row.hash
    return problems
