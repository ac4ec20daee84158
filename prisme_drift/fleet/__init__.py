"""The fleet: sites copy their state out to the provider's central PostgreSQL and git server
(docs/fleet.md).

``schema``: the central tables; ``migrate``: their Alembic revisions; ``central``: the engine
on the central database; ``sync``: what a site copies and how; ``views``: what the provider reads;
``gitsync``: the fast-forward-only push of the site's baseline; ``pushalert``: a rejected push as
an alert.
"""
