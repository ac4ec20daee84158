"""The GLPI ticket source: approved GLPI Changes as tickets (docs/glpi.md).

``client`` speaks the REST API (session, pages, errors), ``html`` turns rich text into plain
text, ``mapping`` turns a change into ticket fields, ``reader`` is the TicketSource. The
settings live in :mod:`prisme_drift.settings_glpi`, below every stage.
"""

from prisme_drift.authorize.glpi.client import GlpiClient
from prisme_drift.authorize.glpi.html import plain_text
from prisme_drift.authorize.glpi.mapping import parse_expiry
from prisme_drift.authorize.glpi.reader import GlpiSource

__all__ = ["GlpiClient", "GlpiSource", "parse_expiry", "plain_text"]
