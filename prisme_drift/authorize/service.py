"""Tickets for a site, from every configured source."""

from __future__ import annotations

from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.sources import Loaded, YamlFolderSource, merge
from prisme_drift.config import Settings

TICKETS_FOLDER = "tickets"


def load_tickets(settings: Settings) -> Loaded:
    """Tickets of every source of the site, merged; problems are listed, never raised."""
    folder = settings.source.parent / TICKETS_FOLDER
    return merge([YamlFolderSource(folder).load()])


def all_tickets(settings: Settings) -> list[Ticket]:
    """Just the tickets (for schedulers that only need windows)."""
    return load_tickets(settings).tickets
