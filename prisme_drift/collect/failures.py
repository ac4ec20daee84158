"""Every collection failure mapped to one kind.

Kinds: unreachable, auth, timeout, hostkey, parse, config, error (``config`` is raised before
any connection, see ``credentials.py``).
"""

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
    return CollectError(_first_line(text), kind=_chain_kind(exc))


def _chain_kind(exc: BaseException) -> str:
    """NAPALM and Netmiko re-raise (a changed host key becomes "Cannot connect"): look deeper.

    The most specific cause wins: a host key or authentication problem anywhere in the chain
    is reported as such, whatever wraps it.
    """
    kinds = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kinds.append(_kind(current))
        current = current.__cause__ or current.__context__
    for specific in ("hostkey", "auth"):
        if specific in kinds:
            return specific
    return kinds[0]


def _first_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first[:300]


# Checked in order: the first row whose types match gives the kind.
_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((NetmikoAuthenticationException, paramiko.AuthenticationException), "auth"),
    ((paramiko.BadHostKeyException,), "hostkey"),
    ((ReadTimeout, socket.timeout, TimeoutError), "timeout"),
    (
        (
            NetmikoTimeoutException,
            ConnectionException,
            ConnectionError,
            paramiko.ssh_exception.NoValidConnectionsError,
            ReadException,
            EOFError,
        ),
        "unreachable",
    ),
)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc):
        return "hostkey"  # paramiko's RejectPolicy: "Server ... not found in known_hosts"
    for types, kind in _KINDS:
        if isinstance(exc, types):
            return kind
    if isinstance(exc, OSError | paramiko.SSHException):
        return "unreachable"
    return "parse" if isinstance(exc, PARSE_ERRORS) else "error"
