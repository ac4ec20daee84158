"""Database URLs: parsing, backend check, and masking (a URL may hold a password).

A password never appears in a log line or an error message, only the masked form of its URL.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from prisme_drift.errors import StoreError
from prisme_drift.scrub import MASK as _MASK
from prisme_drift.scrub import scrub

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
EXAMPLE_URLS = (
    "sqlite:////var/lib/prisme-drift/state.db (absolute path: four slashes) or "
    "postgresql://user:password@dbhost:5432/prisme_drift"
)
#: Drivers given by users for PostgreSQL, mapped to the one prisme-drift ships with.
_PG_DRIVER_ALIASES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
_QUERY_PASSWORD_RE = re.compile(r"(?i)\b(password|passwd|pwd)(\s*=\s*)('[^']*'|[^\s&;]*)")
_SCHEME_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<rest>.*)$", re.DOTALL)


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, also when it does not parse.

    Masks the ``user:password@`` part (up to the last ``@``, as an unescaped ``@`` in a password
    is a common mistake), a non-numeric "port" when the ``@host`` part is missing (that is a
    password too), and ``password=`` parameters in a query string or a libpq DSN.
    """
    masked = _QUERY_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{_MASK}", url)
    match = _SCHEME_RE.match(masked)
    if match is None:
        return masked
    return match.group("scheme") + _mask_authority(match.group("rest"))


def _mask_authority(rest: str) -> str:
    """Mask the password in what follows ``scheme://``."""
    if "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        if ":" in userinfo:
            return f"{userinfo.split(':', 1)[0]}:{_MASK}@{host}"
        return rest
    authority, sep, path = rest.partition("/")
    name, colon, port = authority.partition(":")
    if colon and port and not port.isdigit():
        return f"{name}:{_MASK}{sep}{path}"
    return rest


def bad_url(url: str, problem: str) -> StoreError:
    """The error for a database URL that cannot be used, with the fix."""
    return StoreError(
        f"invalid state database URL {mask_url(url)!r}: {problem}. "
        f"Fix the database URL in the settings; examples: {EXAMPLE_URLS}"
    )


def parse_url(url: str) -> URL:
    """Parse ``url`` and check its backend; map plain ``postgresql://`` to psycopg 3."""
    try:
        parsed = make_url(url)
    except ValueError:
        # The message would quote the "port", which may be a password: don't repeat it.
        raise bad_url(
            url,
            "its port is not a number (in a password, write @ as %40, : as %3A and / as %2F)",
        ) from None
    except ArgumentError:
        raise bad_url(
            url, "it does not parse as dialect://user:password@host:port/database"
        ) from None
    parsed = parsed.set(drivername=_normalise_driver(parsed.drivername))
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise bad_url(url, f"backend {backend!r} is not supported (use sqlite or postgresql)")
    return parsed


def _normalise_driver(drivername: str) -> str:
    """``postgresql``/``postgres`` -> ``postgresql+psycopg``; ``postgres+x`` -> ``postgresql+x``."""
    if drivername in _PG_DRIVER_ALIASES:
        return _PG_DRIVER_ALIASES[drivername]
    if drivername.startswith("postgres+"):
        return "postgresql+" + drivername.split("+", 1)[1]
    return drivername


def scrubbed(message: str, password: str | None) -> str:
    """``message`` with any copy of ``password`` replaced by ``***``."""
    return mask_url(scrub(message, [password] if password else []))


def engine_url_for_display(engine: Engine) -> str:
    """The engine's URL with its password masked, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)
