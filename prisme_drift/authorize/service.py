"""Tickets for a site, from every configured source: database (CLI), YAML folder, GLPI."""

from __future__ import annotations

from prisme_drift.authorize.glpi import GlpiSource
from prisme_drift.authorize.model import Ticket
from prisme_drift.authorize.policy import vet
from prisme_drift.authorize.registry import TicketRegistry
from prisme_drift.authorize.sources import Loaded, TicketSource, YamlFolderSource, merge
from prisme_drift.config import Settings
from prisme_drift.models import DeviceRef
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine


def glpi_source(settings: Settings) -> GlpiSource | None:
    """The GLPI source with its token paths resolved from the settings file's folder."""
    glpi = settings.tickets.glpi
    if glpi is None:
        return None
    update = {"user_token_file": settings.resolve(glpi.user_token_file)}
    if glpi.app_token_file is not None:
        update["app_token_file"] = settings.resolve(glpi.app_token_file)
    if glpi.ca_file is not None:
        update["ca_file"] = settings.resolve(glpi.ca_file)
    return GlpiSource(glpi.model_copy(update=update))


def sources(settings: Settings, database: TicketSource | None = None) -> list[TicketSource]:
    """The configured sources, database first."""
    found: list[TicketSource] = [] if database is None else [database]
    found.append(YamlFolderSource(settings.resolve(settings.tickets.folder)))
    glpi = glpi_source(settings)
    if glpi is not None:
        found.append(glpi)
    return found


def load_tickets(
    settings: Settings,
    database: TicketSource | None = None,
    refs: dict[str, DeviceRef] | None = None,
) -> Loaded:
    """Tickets of every source, merged; problems are listed, never raised. With the inventory's
    ``refs``, the approval checks apply to every ticket: those refused go to ``refused``."""
    loaded = merge([source.load() for source in sources(settings, database)])
    return loaded if refs is None else vet(loaded, refs)


def all_tickets(settings: Settings) -> list[Ticket]:
    """Tickets from every source, the database included (for schedulers that need windows)."""
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            return load_tickets(settings, TicketRegistry(session, settings.site.name)).tickets
    finally:
        engine.dispose()
