"""Apprise URLs of the chat channels (``[notify] urls``): secret references, checks, display.

A URL in the settings never holds a secret in clear: each secret is a *reference*, replaced by
the content of a file when a message is delivered (and never before):

- ``{file:/etc/prisme-drift/whatsapp-token}``: that file (relative paths from the settings
  folder; ``$CREDENTIALS_DIRECTORY/x`` works as for every secret file);
- ``{credential:whatsapp}``: ``$CREDENTIALS_DIRECTORY/whatsapp``, the systemd credential of that
  name (``LoadCredential=whatsapp:/etc/prisme-drift/whatsapp-token`` in the unit).

What counts as a secret is what Apprise itself masks in ``url(privacy=True)`` (passwords, tokens,
API keys): a URL whose masked form hides anything but a reference is refused when the settings
load (a service that checks the shape of its tokens cannot be parsed before they are read: its
URL is then checked at the first delivery or ``notify test``). Apprise is imported only when
the settings have URLs (it takes a second to load).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from prisme_drift.errors import ConfigError
from prisme_drift.scrub import remember
from prisme_drift.secretpaths import (
    CREDENTIALS_VAR,
    expand_credentials_directory,
    read_secret,
    unset_credentials_directory,
)

#: ``{file:PATH}`` or ``{credential:NAME}``.
REFERENCE = re.compile(r"\{(file|credential):([^{}]+)\}")
#: Anything that looks like a reference, to refuse the misspelt ones (``{fil:x}``).
_LOOKS_LIKE = re.compile(r"\{[A-Za-z_]+:[^{}]*\}")
#: What stands for a reference while Apprise parses a URL: letters only, valid in every field.
_STANDIN = "PRISMEREFERENCE"
FORMS = "{file:/path/to/file} or {credential:NAME}"


def _apprise_plugin(url: str) -> Any:
    """Apprise's plugin instance for ``url``, or None when Apprise does not understand it."""
    from apprise import Apprise

    return Apprise.instantiate(url, suppress_exceptions=True)


def _schemes() -> set[str]:
    """Every URL scheme Apprise knows."""
    from apprise.manager_plugins import NotificationManager

    manager: Any = NotificationManager()  # type: ignore[no-untyped-call]
    return {str(s).lower() for s in manager.schemas()}


def _standins(url: str) -> str:
    """``url`` with every reference replaced by a stand-in."""
    return REFERENCE.sub(_STANDIN, url)


def _clear_secret(url: str) -> bool:
    """True if Apprise masks something in ``url`` (its references stood in) that is not one
    of the stand-ins: a secret written in clear."""
    plugin = _apprise_plugin(_standins(url))
    full = unquote(plugin.url(privacy=False))
    masked = unquote(plugin.url(privacy=True))
    spans = [(m.start(), m.end()) for m in re.finditer(_STANDIN, full)]
    matcher = difflib.SequenceMatcher(None, full, masked, autojunk=False)
    for op, a0, a1, _b0, _b1 in matcher.get_opcodes():
        if op in ("replace", "delete") and not any(s < a1 and a0 < e for s, e in spans):
            return True
    return False


def check_url(url: str) -> str:
    """Validate one ``[notify] urls`` entry (ValueError saying what to change); the URL."""
    for found in _LOOKS_LIKE.findall(url):
        if not REFERENCE.fullmatch(found):
            raise ValueError(f"{found!r} is not a secret reference: write {FORMS}")
    if _apprise_plugin(_standins(url)) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:12]
        if REFERENCE.search(url) and scheme.lower() in _schemes():
            # The service checks the shape of its tokens (digits:letters ...), which a stand-in
            # does not have: the URL is checked when its secrets are read ('notify test').
            return url
        raise ValueError(
            f"Apprise does not understand the URL (scheme {scheme!r}): see the Apprise wiki "
            "for the URL of your service"
        )
    if _clear_secret(url):
        raise ValueError(
            f"the URL {display_url(url)} holds a secret in clear (Apprise masks it); put the "
            f"secret alone in a file (mode 0600) and write {FORMS} in its place"
        )
    return url


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case (``whatsapp``, ``json``)."""
    return urlsplit(_standins(url)).scheme.lower()


def display_url(url: str) -> str:
    """The URL as Apprise shows it with ``privacy=True``, without its query string: secrets
    (and references, which stand for them) masked. Never reads a secret."""
    plugin = _apprise_plugin(_standins(url))
    if plugin is None:
        return f"{scheme_of(url)}://…"
    return str(plugin.url(privacy=True)).split("?", 1)[0].replace(_STANDIN, "****")


def reference_path(kind: str, value: str, base: Path) -> Path:
    """The file a reference names: ``file`` from the settings folder, ``credential`` from
    ``$CREDENTIALS_DIRECTORY``."""
    if kind == "credential":
        return Path(f"${CREDENTIALS_VAR}") / value.strip()
    path = expand_credentials_directory(Path(value.strip()))
    return path if path.is_absolute() or "$" in str(path) else base / path


def _read_reference(path: Path, key: str) -> str:
    """The secret in ``path``; ConfigError naming the setting and the file."""
    path = expand_credentials_directory(path)
    unset = unset_credentials_directory(path, key)
    if unset:
        raise ConfigError(f"{key}: cannot read the secret file {path}: {unset}")
    try:
        value = read_secret(path)
    except OSError as exc:
        raise ConfigError(
            f"{key}: cannot read the secret file {path}: {exc.strerror or exc}; create it "
            "(mode 0600) or correct the reference"
        ) from None
    if not value:
        raise ConfigError(f"{key}: the secret file {path} is empty; write the secret in it")
    remember(value, quote(value, safe=""))
    return value


def resolve_url(url: str, base: Path, key: str) -> str:
    """``url`` with each reference replaced by its file's content (URL-quoted, so any character
    can be in a secret); the secrets are remembered by the scrubber. ConfigError naming ``key``
    and the file when one cannot be read."""

    def secret(match: re.Match[str]) -> str:
        path = reference_path(match.group(1), match.group(2), base)
        return quote(_read_reference(path, key), safe="")

    return REFERENCE.sub(secret, url)
