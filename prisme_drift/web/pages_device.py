"""The device page and the documents' download (helper C fills this module)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
