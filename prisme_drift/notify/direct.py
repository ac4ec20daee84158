"""Alerts that cannot go through the outbox: the state database itself is unusable.

When the store is corrupt, the disk is full or the state is lost, the outbox (a table of that
store) cannot carry the alert. :func:`send_out_of_store` renders it like any other notification
and hands it straight to every configured channel; a channel that fails gets a spool file in
``state/alerts-spool/`` (JSON, 0600), which :func:`drain_spool` retries at every sender run
until it goes through. Nothing here touches the database, and nothing here raises.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from prisme_drift.config import Settings
from prisme_drift.notify.notifier import EventView, Notification, Notifier
from prisme_drift.notify.registry import notifiers_for, wording_for

log = logging.getLogger(__name__)

SPOOL_DIR = "alerts-spool"
STORE_UNUSABLE = "store_unusable"


def spool_dir(settings: Settings) -> Path:
    """Where undelivered out-of-store alerts wait."""
    return settings.state_path / SPOOL_DIR


def _notification(settings: Settings, record: dict[str, Any]) -> Notification:
    at = datetime.fromisoformat(str(record["at"]))
    event = EventView(
        id=0,
        kind=str(record["kind"]),
        site=settings.site.name,
        device=None,
        created_at=at,
        payload=dict(record["payload"]),
    )
    return Notification(site=settings.site.name, kind="events", events=(event,), created_at=at)


def _deliver(settings: Settings, notifier: Notifier, record: dict[str, Any]) -> str | None:
    """Deliver one record on one channel; None on success, else why it failed."""
    try:
        note = notifier.deliver(_notification(settings, record), wording_for(settings))
    except Exception as exc:  # a delivery problem or a bug: the record is spooled, never lost
        explain = getattr(exc, "explain", None)
        return str(explain()) if callable(explain) else f"{type(exc).__name__}: {exc}"
    log.info("[%s] %s alert delivered (%s): %s", settings.site.name, record["kind"],
             notifier.channel, note)  # fmt: skip
    return None


def _spool(settings: Settings, channel: str, record: dict[str, Any]) -> Path | None:
    """Write the record for a later try; None if even that failed (disk full)."""
    folder = spool_dir(settings)
    path = folder / f"{record['key']}.{channel}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**record, "channel": channel}, handle)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.error("[%s] cannot spool the %s alert in %s either (%s)", settings.site.name,
                  record["kind"], folder, exc)  # fmt: skip
        return None
    return path


def send_out_of_store(
    settings: Settings, key: str, payload: dict[str, Any], at: datetime
) -> dict[str, str]:
    """Send a ``store_unusable`` alert on every channel now, bypassing the database; spool it
    for the channels that fail. ``key`` names one incident. Returns channel -> outcome."""
    record = {"key": key, "kind": STORE_UNUSABLE, "at": at.isoformat(), "payload": payload}
    outcomes: dict[str, str] = {}
    notifiers = notifiers_for(settings)
    if not notifiers:
        log.error("[%s] no alert channel is configured: nobody is told that %s",
                  settings.site.name, payload.get("error"))  # fmt: skip
    for channel, notifier in notifiers.items():
        problem = _deliver(settings, notifier, record)
        if problem is None:
            outcomes[channel] = "sent"
            continue
        spooled = _spool(settings, channel, record)
        outcomes[channel] = f"spooled in {spooled}" if spooled else "lost"
        log.warning("[%s] %s alert not delivered on %s (%s); %s", settings.site.name,
                    STORE_UNUSABLE, channel, problem, outcomes[channel])  # fmt: skip
    return outcomes


def drain_spool(settings: Settings) -> int:
    """Retry every spooled alert; delete the ones delivered. Returns how many went out."""
    folder = spool_dir(settings)
    if not folder.is_dir():
        return 0
    notifiers = notifiers_for(settings)
    sent = 0
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.error("[%s] unreadable spooled alert %s: %s", settings.site.name, path, exc)
            continue
        notifier = notifiers.get(str(record.get("channel")))
        if notifier is None or _deliver(settings, notifier, record) is not None:
            continue
        path.unlink(missing_ok=True)
        sent += 1
    return sent
