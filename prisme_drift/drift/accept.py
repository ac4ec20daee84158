"""Accepting a drift item after the fact: approved moves forward by its hunk, with who and why."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from prisme_drift.authorize.registry import AuditLog
from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.classify.patch import advance
from prisme_drift.config import Settings
from prisme_drift.drift.items import hunk_of, item_view, open_items
from prisme_drift.errors import DriftError
from prisme_drift.models import DriftView
from prisme_drift.profiles import get_profile
from prisme_drift.recovery import site_writer
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import DriftItem
from prisme_drift.timefmt import local_time, utcnow

log = logging.getLogger(__name__)


def accept_item(settings: Settings, item_id: int, by: str, reason: str) -> DriftView:
    """Accept an open item after the fact: approved moves forward by its hunk, the item closes."""
    if not by.strip() or not reason.strip():
        raise DriftError("accepting a change needs --by NAME and --reason TEXT (the audit trail)")
    with site_writer(settings, f"drift accept {item_id}"):
        engine = shared_engine(settings.database_url)
        try:
            ensure_schema(engine)
            with session_factory(engine).begin() as session:
                item = session.get(DriftItem, item_id)
                if item is None or item.site != settings.site.name:
                    raise DriftError(f"no drift item {item_id} on site {settings.site.name}")
                if item.closed_at is not None:
                    closed = local_time(item.closed_at, settings.site.timezone)
                    raise DriftError(
                        f"drift item {item_id} is already closed ({item.close_reason} at {closed})"
                    )
                _move_approved(settings, item, session, by, reason)
                item.verdict, item.close_reason = "accepted", "accepted"
                item.accepted_by, item.accept_reason = by, reason
                item.closed_at = utcnow()
                session.flush()
                view = item_view(item)
                audit = AuditLog(session, settings.site.name, settings.state_path)
                audit.append(
                    by,
                    "drift.accept",
                    f"{view.device} item {item_id}",
                    {"reason": reason, "category": view.category, "lines": view.lines()},
                )
            audit.committed()
        finally:
            engine.dispose()
    log.info("[%s] drift item %d accepted by %s: %s", settings.site.name, item_id, by, reason)
    return view


def _move_approved(
    settings: Settings, item: DriftItem, session: Session, by: str, reason: str
) -> None:
    device = item.device
    profile = get_profile(device.platform)
    with BaselineRepo(settings.baseline_path, settings.site.name) as repo:
        approved = repo.read(APPROVED, device.name, device.platform)
        observed = repo.read(OBSERVED, device.name, device.platform)
        if approved is None or observed is None:
            raise DriftError(f"{device.name} has no baseline yet; poll it first")
        others = [i for i in open_items(session, item.site, device.id) if i.id != item.id]
        snapshot = advance(approved, observed, [hunk_of(item)], not others, profile)
        repo.commit(
            APPROVED,
            {device.name: snapshot},
            f"{item.site}: accept drift item {item.id} on {device.name} ({item.category})",
            utcnow(),
            {"Drift-item": str(item.id), "Accepted-by": by, "Reason": " ".join(reason.split())},
        )
