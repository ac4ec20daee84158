"""A GLPI REST API session (``apirest.php``) over httpx: open, GET pages of JSON, close.

Tokens travel in headers only (``App-Token``, ``Authorization: user_token …``,
``Session-Token``), never in a URL, so the URL a message or a log line names holds no secret.
Every problem is a GlpiError whose message names the URL and the fix (codes from GLPI's
src/Api/API.php and apirest.md).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from prisme_drift.errors import GlpiConfigError, GlpiError
from prisme_drift.httpclient import cause, client, read_limited, tls_context
from prisme_drift.scrub import remember, scrub
from prisme_drift.secretpaths import unset_credentials_directory
from prisme_drift.settings_glpi import GlpiSettings

log = logging.getLogger(__name__)

MAX_BODY = 32 * 1024 * 1024
MAX_ERROR_BODY = 64 * 1024
MAX_PAGES = 10_000


def read_token(path: Path, what: str, key: str) -> str:
    """The token held alone in ``path``; GlpiConfigError naming the file and the setting."""
    unset = unset_credentials_directory(path, key)
    if unset:
        raise GlpiConfigError(f"GLPI: cannot read the {what} file {path}: {unset}")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise GlpiConfigError(
            f"GLPI: cannot read the {what} file {path}: {exc.strerror or type(exc).__name__}: "
            f"create it (mode 0600) or correct {key}"
        ) from None
    if not value:
        raise GlpiConfigError(f"GLPI: the {what} file {path} is empty: write the {what} in it")
    remember(value)
    return value


def _tls(settings: GlpiSettings) -> ssl.SSLContext:
    """Certificate checks on by default; ``ca_file`` for a private CA; off only if asked."""
    try:
        return tls_context(settings.ca_file, verify=settings.verify_tls)
    except OSError as exc:
        raise GlpiConfigError(
            f"GLPI: cannot load the CA file {settings.ca_file} ({exc.strerror or exc}): "
            "point ca_file at a PEM file of the CA that signed GLPI's certificate"
        ) from None


_FIXES = {
    "ERROR_WRONG_APP_TOKEN_PARAMETER": "check app_token_file against the App-Token of the "
    "API client (Setup > General > API)",
    "ERROR_APP_TOKEN_PARAMETERS_MISSING": "this GLPI requires an App-Token: set app_token_file",
    "ERROR_NOT_ALLOWED_IP": "add this host's address to an active API client "
    "(Setup > General > API)",
    "ERROR_RIGHT_MISSING": "give the API user's profile read access to changes, change "
    "approvals and tasks, and to the linked assets",
    "ERROR_SESSION_TOKEN_INVALID": "the GLPI session ended during the read; the next poll "
    "opens a new one",
    "ERROR_ITEM_NOT_FOUND": "check url: it must be the address of apirest.php",
    "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM": "check url: it must be the address of apirest.php",
}


def _fix_for(status: int, code: str, endpoint: str) -> str:
    """What to do about a GLPI error."""
    if code in _FIXES:
        return _FIXES[code]
    if status == 401 or (endpoint == "initSession" and code.startswith("ERROR_GLPI_LOGIN")):
        return (
            "check the user token (user_token_file, the API token of the GLPI user's "
            "preferences) and that the API is enabled with 'Enable login with external token'"
        )
    if status >= 500:
        return (
            "GLPI failed on its side: see GLPI's files/_log/php-errors.log; the next poll retries"
        )
    if status == 404:
        return "check url: it must be the address of apirest.php"
    return "check url and that the REST API is enabled (Setup > General > API)"


def _glpi_error_body(raw: bytes) -> tuple[str, str]:
    """GLPI's error array ``["ERROR_CODE", "message"]``, or ("", a short excerpt)."""
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return "", " ".join(raw[:200].decode("utf-8", errors="replace").split())
    if isinstance(data, list) and data and isinstance(data[0], str):
        message = str(data[1]) if len(data) > 1 else ""
        return data[0], message.split("; view documentation")[0]
    return "", ""


@dataclass
class Page:
    """One answer of GLPI: its JSON and its ``Content-Range`` (start, end, total), if any."""

    data: Any
    content_range: tuple[int, int, int] | None = None


def _content_range(value: str | None) -> tuple[int, int, int] | None:
    """``0-49/120`` as (0, 49, 120)."""
    match = re.fullmatch(r"\s*(\d+)-(-?\d+)/(\d+)\s*", value or "")
    if not match:
        return None
    start, end, total = (int(g) for g in match.groups())
    return start, end, total


@dataclass
class GlpiClient:
    """A GLPI REST API session: open, GET pages of JSON, close. Tokens stay in this object."""

    settings: GlpiSettings
    user_token: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._http = client(self.settings.timeout, _tls(self.settings))

    @property
    def secrets(self) -> list[str]:
        """Every secret this client holds (for the scrub safety net)."""
        return [s for s in (self.user_token, self.app_token, self.session_token) if s]

    def open(self) -> None:
        """``GET initSession`` with ``Authorization: user_token …``; keeps the session token."""
        page = self.get("initSession", {}, login=True)
        token = page.data.get("session_token") if isinstance(page.data, dict) else None
        if not isinstance(token, str) or not token:
            raise GlpiError(
                f"GLPI {self._url('initSession')}: no session_token in the answer: "
                "check url: it must be the address of apirest.php"
            )
        remember(token)
        self.session_token = token

    def close(self) -> None:
        """``GET killSession``, best effort (a failure is logged, never raised); then the
        connections are closed."""
        try:
            if self.session_token is not None:
                self.get("killSession", {})
        except GlpiError as exc:
            log.warning("GLPI session not closed: %s", scrub(str(exc), self.secrets))
        finally:
            self.session_token = None
            self._http.close()

    def get(self, endpoint: str, params: dict[str, str], *, login: bool = False) -> Page:
        """GET ``endpoint`` with ``params``; GlpiError with the URL and the fix on any problem."""
        url = self._url(endpoint, params)
        log.debug("GLPI GET %s", url)  # the URL never holds a token: they travel in headers
        try:
            with self._http.stream("GET", url, headers=self._headers(login)) as response:
                if not response.is_success:
                    raise self._http_error(url, endpoint, response)
                raw = read_limited(response, MAX_BODY + 1)
                content_range = _content_range(response.headers.get("Content-Range"))
        except httpx.TransportError as exc:
            raise self._network_error(url, cause(exc)) from None
        return Page(self._json(url, raw), content_range)

    def pages(self, endpoint: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every row of a collection, following ``range`` and ``Content-Range`` page by page."""
        start, size = 0, self.settings.page_size
        for _ in range(MAX_PAGES):
            page = self.get(endpoint, {**params, "range": f"{start}-{start + size - 1}"})
            rows = page.data if isinstance(page.data, list) else None
            if rows is None:
                raise GlpiError(
                    f"GLPI {self._url(endpoint)}: expected a list of rows: check url "
                    "(the address of apirest.php)"
                )
            yield from (row for row in rows if isinstance(row, dict))
            if page.content_range is None or not rows:
                return
            _, end, total = page.content_range
            if end + 1 >= total:
                return
            start = end + 1
        raise GlpiError(f"GLPI {self._url(endpoint)}: more than {MAX_PAGES} pages: raise page_size")

    def _url(self, endpoint: str, params: dict[str, str] | None = None) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.settings.url}/{endpoint}{query}"

    def _headers(self, login: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.app_token:
            headers["App-Token"] = self.app_token
        if login:
            headers["Authorization"] = f"user_token {self.user_token}"
        elif self.session_token:
            headers["Session-Token"] = self.session_token
        return headers

    def _json(self, url: str, raw: bytes) -> Any:
        if len(raw) > MAX_BODY:
            raise GlpiError(f"GLPI {url}: answer larger than {MAX_BODY} bytes: lower page_size")
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            excerpt = " ".join(raw[:80].decode("utf-8", errors="replace").split())
            raise GlpiError(
                f"GLPI {url}: the answer is not JSON ({excerpt!r}): check url, it must be the "
                "address of apirest.php, not a login or proxy page"
            ) from None

    def _http_error(self, url: str, endpoint: str, response: httpx.Response) -> GlpiError:
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            return GlpiError(
                f"GLPI {url}: HTTP {status} redirect to {target}, not followed: "
                "set url to the final address of apirest.php"
            )
        try:
            raw = read_limited(response, MAX_ERROR_BODY)
        except httpx.TransportError:  # the status says enough
            raw = b""
        code, message = _glpi_error_body(raw)
        detail = " ".join(part for part in (code, f"({message})" if message else "") if part)
        return GlpiError(
            f"GLPI {url}: HTTP {status}{' ' + detail if detail else ''}: "
            f"{_fix_for(status, code, endpoint)}"
        )

    def _network_error(self, url: str, reason: BaseException) -> GlpiError:
        if isinstance(reason, TimeoutError | socket.timeout):
            return GlpiError(
                f"GLPI {url}: no answer within {self.settings.timeout:g} s: check that GLPI is "
                "up, or raise timeout"
            )
        if isinstance(reason, ssl.SSLCertVerificationError):
            return GlpiError(
                f"GLPI {url}: TLS certificate not trusted ({reason.verify_message}): set ca_file "
                "to the CA that signed GLPI's certificate"
            )
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return GlpiError(
            f"GLPI {url}: cannot connect ({text}): check url, DNS and the firewall to GLPI"
        )
