"""Fixtures shared with the notification tests: the throw-away CA and server certificate."""

from tests.notify.conftest import tls_files

__all__ = ["tls_files"]
