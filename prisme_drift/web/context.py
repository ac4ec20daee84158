"""What every page handler reads from its request: the settings, the central engine and the
address the request came from."""

from __future__ import annotations

from ipaddress import ip_address

from sqlalchemy import Engine
from starlette.requests import Request

from prisme_drift.web.config import WebConfig


def web_config(request: Request) -> WebConfig:
    """The application's settings."""
    config: WebConfig = request.app.state.config
    return config


def engine(request: Request) -> Engine:
    """The central database's engine."""
    found: Engine = request.app.state.engine
    return found


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or the last address ``X-Forwarded-For`` adds when the
    peer is one of ``trusted_proxies`` (the proxy appends the address it saw; anything before
    it was written by the client and proves nothing)."""
    peer = request.client.host if request.client else ""
    if peer not in web_config(request).trusted_proxies:
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    last = forwarded.split(",")[-1].strip()
    try:
        return str(ip_address(last))
    except ValueError:
        return peer
