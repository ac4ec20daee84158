"""Every collection failure mapped to one kind: unreachable, auth, timeout, hostkey, parse, error."""

from __future__ import annotations

import socket

import paramiko
from napalm.base.exceptions import ConnectionException
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from prisme_drift.errors import CollectError

PARSE_ERRORS = (ValueError, IndexError, KeyError, AttributeError, TypeError)


def classify_exception(exc: BaseException, *, expired: bool = False) -> CollectError:
    """The CollectError for an exception raised while talking to a device."""
    if isinstance(exc, CollectError):
        return exc
    text = f"{type(exc).__name__}: {exc}".strip()
    if expired:
        return CollectError(f"hard time limit reached ({text})", kind="timeout")
    kind = _kind(exc)
    return CollectError(_first_line(text), kind=kind)


def _first_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first[:300]


def _kind(exc: BaseException) -> str:
    if isinstance(exc, NetmikoAuthenticationException | paramiko.AuthenticationException):
        return "auth"
    if isinstance(exc, paramiko.BadHostKeyException):
        return "hostkey"
    if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
        return "hostkey"
    if isinstance(exc, ReadTimeout | socket.timeout | TimeoutError):
        return "timeout"
    if isinstance(
        exc,
        NetmikoTimeoutException
        | ConnectionException
        | ConnectionError
        | paramiko.ssh_exception.NoValidConnectionsError
        | ReadException
        | EOFError,
    ):
        return "unreachable"
    if isinstance(exc, OSError | paramiko.SSHException):
        return "unreachable"
    if isinstance(exc, PARSE_ERRORS):
        return "parse"
    return "error"
