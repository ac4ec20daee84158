"""The web page on the central fleet database: the fleet at a glance for the provider, each
client's own sites, and change plans approved online (docs/web.md).

Server-rendered HTML (Starlette, Jinja2, the gettext catalogs of ``web/locale``), no JavaScript
build step. Every query of site data is scoped to what the user may see (:mod:`.scope`).
"""
