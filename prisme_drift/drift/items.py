"""Drift items as the database holds them: queries and the immutable views printed or sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from prisme_drift.config import Settings
from prisme_drift.errors import DriftError
from prisme_drift.models import Category, DriftView, Hunk
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import DriftItem


def open_items(session: Session, site: str, device_id: int | None = None) -> list[DriftItem]:
    """Open drift items of a site (or one device), oldest first."""
    query = (
        select(DriftItem)
        .where(DriftItem.site == site, DriftItem.closed_at.is_(None))
        .options(selectinload(DriftItem.device))
        .order_by(DriftItem.id)
    )
    if device_id is not None:
        query = query.where(DriftItem.device_id == device_id)
    return list(session.scalars(query))


def item_view(item: DriftItem) -> DriftView:
    """The immutable view of an item for printing and JSON."""
    return DriftView(
        id=item.id,
        site=item.site,
        device=item.device.name,
        category=item.category,
        verdict=item.verdict,
        reason=item.reason,
        opened_at=item.opened_at,
        closed_at=item.closed_at,
        close_reason=item.close_reason,
        appeared_after=item.appeared_after,
        path=tuple(item.path),
        removed=tuple(item.removed),
        added=tuple(item.added),
        remediation=tuple(item.remediation or ()),
        accepted_by=item.accepted_by,
        accept_reason=item.accept_reason,
    )


def hunk_of(item: DriftItem) -> Hunk:
    """The hunk an item stands for."""
    return Hunk(Category(item.category), tuple(item.path), tuple(item.removed), tuple(item.added))


def list_items(
    settings: Settings, include_closed: bool = False, device: str | None = None
) -> list[DriftView]:
    """Items of the site, open only unless ``include_closed``."""
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            query = (
                select(DriftItem)
                .where(DriftItem.site == settings.site.name)
                .options(selectinload(DriftItem.device))
                .order_by(DriftItem.id)
            )
            if not include_closed:
                query = query.where(DriftItem.closed_at.is_(None))
            items = [item_view(i) for i in session.scalars(query)]
    finally:
        engine.dispose()
    return [i for i in items if device is None or i.device == device]


def get_item(settings: Settings, item_id: int) -> DriftView:
    """One item by id; DriftError if the site has none with that id."""
    for item in list_items(settings, include_closed=True):
        if item.id == item_id:
            return item
    raise DriftError(
        f"no drift item {item_id} on site {settings.site.name}; see 'prisme-drift drift list --all'"
    )
