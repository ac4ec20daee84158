"""The change plans' pages (helper B fills this module)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
