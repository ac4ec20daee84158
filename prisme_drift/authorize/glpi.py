"""Tickets from GLPI Changes, read through GLPI's REST API (``apirest.php``, GLPI 9.5 and 10.x).

One ``load()`` opens a session (``initSession`` with the user token), pages through ``/Change/``,
reads each change's linked items, tasks and approvals, and always closes the session
(``killSession``). Any HTTP, network or JSON problem makes the whole source report one problem and
no tickets: changes it would have covered then show as unauthorized, never the other way round.

Tokens are read from files at each load; they never appear in a problem, a log record or an
exception message. The mapping of GLPI fields to tickets, and the GLPI source files it was taken
from, are described in docs/glpi.md.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from email.message import Message
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prisme_drift import __version__
from prisme_drift.authorize.model import TicketKind, TicketStatus
from prisme_drift.authorize.sources import Loaded, parse_ticket
from prisme_drift.errors import ConfigError
from prisme_drift.models import Category
from prisme_drift.scrub import remember, scrub
from prisme_drift.secretpaths import unset_credentials_directory
from prisme_drift.timefmt import utcnow
from prisme_drift.validators import TimezoneName

log = logging.getLogger(__name__)

# --- GLPI constants -----------------------------------------------------------------------------
# Change status: src/CommonITILObject.php (1-12) and src/Change.php (REFUSED, CANCELED, GLPI 10+).
INCOMING, WAITING, SOLVED, CLOSED, ACCEPTED, OBSERVED = 1, 4, 5, 6, 7, 8
EVALUATION, APPROVAL, TEST, QUALIFICATION, REFUSED, CANCELED = 9, 10, 11, 12, 13, 14
# Global validation and validation status: src/CommonITILValidation.php.
VALIDATION_NONE, VALIDATION_WAITING, VALIDATION_ACCEPTED, VALIDATION_REFUSED = 1, 2, 3, 4

DONE_STATUSES = frozenset({SOLVED, OBSERVED, CLOSED})  # Change::getSolvedStatusArray + CLOSED
DEAD_STATUSES = frozenset({CANCELED, REFUSED})
FINISHED_STATUSES = DONE_STATUSES | DEAD_STATUSES

DeviceItemtype = Literal["NetworkEquipment", "Computer", "Peripheral", "Phone", "Printer"]
MAX_BODY = 32 * 1024 * 1024
MAX_PAGES = 10_000
GLPI_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


# --- settings -----------------------------------------------------------------------------------


class GlpiSettings(BaseModel):
    """``[tickets.glpi]``: where GLPI is, how to log in (token files), how to map its changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    user_token_file: Path
    app_token_file: Path | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 30
    verify_tls: bool = True
    ca_file: Path | None = None
    timezone: TimezoneName = "UTC"
    category_map: dict[str, tuple[Category, ...]] = Field(default_factory=dict)
    default_categories: tuple[Category, ...] = ()
    page_size: Annotated[int, Field(ge=1, le=1000)] = 50
    device_itemtypes: Annotated[tuple[DeviceItemtype, ...], Field(min_length=1)] = (
        "NetworkEquipment",
    )
    transitional_tags: tuple[str, ...] = ("transitoire", "transitional")
    expiry_markers: tuple[str, ...] = ("expire", "expires", "expiration")
    mandate_markers: tuple[str, ...] = ("mandat", "mandate")
    finished_max_age_days: Annotated[int, Field(ge=0, le=36_500)] = 30

    @model_validator(mode="before")
    @classmethod
    def _no_token_in_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"app_token", "user_token"} & set(data):
            raise ValueError(
                "never write a GLPI token in the settings file: put it alone in a file "
                "(mode 0600) and set app_token_file / user_token_file to its path"
            )
        return data

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        netloc = urllib.parse.urlsplit(value).netloc
        if "@" in netloc:
            raise ValueError("no user or password in url: GLPI logs in with user_token_file")
        if "?" in value or "#" in value:
            raise ValueError("url ends at apirest.php, without a query string")
        return value.rstrip("/")

    @property
    def tz(self) -> tzinfo:
        """The timezone GLPI's naive date-times are read in."""
        return ZoneInfo(self.timezone)

    @property
    def web_url(self) -> str:
        """GLPI's web root (the API url without ``/apirest.php``), for links in messages."""
        return self.url.removesuffix("/apirest.php")


# --- errors and secrets -------------------------------------------------------------------------


class GlpiError(Exception):
    """GLPI could not be read; the message names the URL and the fix, never a token."""


def read_token(path: Path, what: str, key: str) -> str:
    """The token held alone in ``path``; GlpiError naming the file and the setting otherwise."""
    unset = unset_credentials_directory(path, key)
    if unset:
        raise GlpiError(f"GLPI: cannot read the {what} file {path}: {unset}")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise GlpiError(
            f"GLPI: cannot read the {what} file {path}: {exc.strerror or type(exc).__name__}: "
            f"create it (mode 0600) or correct {key}"
        ) from None
    if not value:
        raise GlpiError(f"GLPI: the {what} file {path} is empty: write the {what} in it")
    remember(value)
    return value


# --- rich text ----------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}
)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, a line break for every block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(value: Any) -> str:
    """GLPI rich text as plain text: HTML-encoded (9.5/10) or raw HTML, tags and entities gone."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value
    if "<" not in text and "&lt;" in text:  # GLPI's sanitized storage: the HTML is encoded
        text = unescape(text)
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    lines = ("".join(parser.parts).replace("\xa0", " ")).splitlines()
    cleaned = [" ".join(line.split()) for line in lines]
    return "\n".join(line for line in cleaned if line)


# --- HTTP client --------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are refused: they would carry the tokens to another address."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _tls_context(settings: GlpiSettings) -> ssl.SSLContext:
    """Certificate checks on by default; ``ca_file`` for a private CA; off only if asked."""
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _fix_for(status: int, code: str, endpoint: str) -> str:
    """What to do about a GLPI error (codes from src/Api/API.php and apirest.md)."""
    fixes = {
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
        "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM": "check url: it must be the address of "
        "apirest.php",
    }
    if code in fixes:
        return fixes[code]
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
        self._opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=_tls_context(self.settings))
        )

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
        self.session_token = token

    def close(self) -> None:
        """``GET killSession``, best effort: a failure is logged, never raised."""
        if self.session_token is None:
            return
        try:
            self.get("killSession", {})
        except GlpiError as exc:
            log.warning("GLPI session not closed: %s", scrub(str(exc), self.secrets))
        finally:
            self.session_token = None

    def get(self, endpoint: str, params: dict[str, str], *, login: bool = False) -> Page:
        """GET ``endpoint`` with ``params``; GlpiError with the URL and the fix on any problem."""
        url = self._url(endpoint, params)
        log.debug("GLPI GET %s", url)  # the URL never holds a token: they travel in headers
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked: http(s) only
            url, headers=self._headers(login), method="GET"
        )
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                raw = response.read(MAX_BODY + 1)
                content_range = _content_range(response.headers.get("Content-Range"))
        except urllib.error.HTTPError as exc:
            raise self._http_error(url, endpoint, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise self._network_error(url, exc) from None
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
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"prisme-drift/{__version__}",
        }
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

    def _http_error(self, url: str, endpoint: str, exc: urllib.error.HTTPError) -> GlpiError:
        if 300 <= exc.code < 400:
            target = exc.headers.get("Location", "?") if exc.headers else "?"
            return GlpiError(
                f"GLPI {url}: HTTP {exc.code} redirect to {target}, not followed: "
                "set url to the final address of apirest.php"
            )
        try:
            raw = exc.read(64 * 1024)
        except OSError:
            raw = b""
        code, message = _glpi_error_body(raw)
        detail = " ".join(part for part in (code, f"({message})" if message else "") if part)
        return GlpiError(
            f"GLPI {url}: HTTP {exc.code}{' ' + detail if detail else ''}: "
            f"{_fix_for(exc.code, code, endpoint)}"
        )

    def _network_error(self, url: str, exc: OSError) -> GlpiError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
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


# --- change -> ticket mapping -------------------------------------------------------------------


class _Skip(Exception):
    """This change gives no ticket; the message says why and what to fix in GLPI."""


def _int(value: Any) -> int:
    """GLPI ids and constants arrive as int (or numeric strings in old versions)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return 0


def _name(value: Any) -> str:
    """An expanded dropdown: a name; an unexpanded or empty one (0, "", "&nbsp;") gives ""."""
    if not isinstance(value, str):
        return ""
    text = plain_text(value) if "&" in value or "<" in value else value.strip()
    return text.strip()


def _glpi_time(value: Any, tz: tzinfo) -> datetime | None:
    """GLPI's naive local ``YYYY-MM-DD HH:MM:SS``, made aware in the site's timezone."""
    if not isinstance(value, str) or not GLPI_DATETIME.match(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=tz)
    except ValueError:  # 2026-02-30: shaped like a date, but not one
        return None


def _normal(label: str) -> str:
    """A label for comparison: case-folded, spaces squeezed, GLPI's " (id)" suffix dropped."""
    label = re.sub(r"\s+\(\d+\)$", "", label.strip())
    return " ".join(label.casefold().split())


def tags(text: str) -> list[str]:
    """The ``[tag]`` words of a title or description, normalized."""
    return [_normal(tag) for tag in re.findall(r"\[([^\[\]\n]{1,40})\]", text)]


def _marker(text: str, markers: Iterable[str]) -> str | None:
    """The value after the first ``marker:`` of ``text`` (rest of its line), if any."""
    names = "|".join(re.escape(m) for m in markers if m)
    if not names:
        return None
    match = re.search(rf"(?i)\b(?:{names})\s*:\s*([^\n]+)", text)
    return match.group(1).strip() if match and match.group(1).strip() else None


def parse_expiry(value: str, tz: tzinfo) -> datetime | None:
    """``2026-12-31`` / ``31/12/2026`` (end of that day) or ``2026-12-31 18:00``, site time."""
    words = value.split()
    token, rest = (words[0], words[1:]) if words else ("", [])
    day: datetime | None = None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(token, fmt)
            break
        except ValueError:
            continue
    if day is None:
        return None
    if rest and re.fullmatch(r"\d{1,2}:\d{2}", rest[0]):
        hours, minutes = (int(p) for p in rest[0].split(":"))
        if hours < 24 and minutes < 60:
            return day.replace(hour=hours, minute=minutes, tzinfo=tz)
    return datetime.combine(day.date(), time(23, 59, 59), tzinfo=tz)


def change_status(change: dict[str, Any]) -> TicketStatus:
    """Approved: global validation accepted on a live change; done/dead statuses close it."""
    status = _int(change.get("status"))
    if status in DEAD_STATUSES:
        return TicketStatus.CANCELLED
    if status in DONE_STATUSES:
        return TicketStatus.CLOSED
    if _int(change.get("global_validation")) == VALIDATION_ACCEPTED:
        return TicketStatus.APPROVED
    return TicketStatus.DRAFT


@dataclass
class ChangeMapper:
    """Turns one GLPI change (and its sub-items) into ticket fields, or a ``_Skip`` reason."""

    settings: GlpiSettings

    def categories(self, change: dict[str, Any], where: str, text: str) -> list[Category]:
        """From the ITIL category (via category_map) and ``[tags]``; the default otherwise."""
        itil = _name(change.get("itilcategories_id"))
        found: list[Category] = [*self._mapped(itil)]
        for tag in tags(text):
            found.extend(self._tag_categories(tag))
        if not found:
            found.extend(self.settings.default_categories)
        if not found:
            why = f"its ITIL category {itil!r} is not in category_map" if itil else "no category"
            raise _Skip(
                f"{where} has {why}: give it an ITIL category listed in category_map, "
                "or a tag such as [vlan] in its title or description"
            )
        return list(dict.fromkeys(found))

    def _mapped(self, label: str) -> tuple[Category, ...]:
        if not label:
            return ()
        wanted = {_normal(label), _normal(label.rsplit(">", maxsplit=1)[-1])}
        out: list[Category] = []
        for key, categories in self.settings.category_map.items():
            if _normal(key) in wanted:
                out.extend(categories)
        return tuple(out)

    def _tag_categories(self, tag: str) -> tuple[Category, ...]:
        if tag in {c.value for c in Category}:
            return (Category(tag),)
        return self._mapped(tag)

    def window(self, tasks: list[dict[str, Any]], where: str) -> tuple[datetime, datetime]:
        """From the first planned task start to the last planned task end (ChangeTask)."""
        tz = self.settings.tz
        spans = [
            (begin, end)
            for task in tasks
            if (begin := _glpi_time(task.get("begin"), tz))
            and (end := _glpi_time(task.get("end"), tz))
        ]
        if not spans:
            raise _Skip(
                f"{where} has no planned window: plan at least one of its tasks "
                "(start and end) in GLPI"
            )
        return min(b for b, _ in spans), max(e for _, e in spans)

    def approval(self, validations: list[dict[str, Any]], cid: int) -> dict[str, Any] | None:
        """Who accepted (ChangeValidation status 3), when (the latest answer), and a reference."""
        tz = self.settings.tz
        accepted = sorted(
            (
                (at, v)
                for v in validations
                if _int(v.get("status")) == VALIDATION_ACCEPTED
                and (at := _glpi_time(v.get("validation_date"), tz))
            ),
            key=lambda pair: pair[0],
        )
        if not accepted:
            return None
        names = [
            _name(v.get("users_id_validate")) or f"GLPI user {_int(v.get('users_id_validate'))}"
            for _, v in accepted
        ]
        ids = ", ".join(f"#{_int(v.get('id'))}" for _, v in accepted)
        return {
            "by": ", ".join(dict.fromkeys(names)),
            "at": accepted[-1][0],
            "ref": f"GLPI change {cid}, approval {ids}",
        }

    def kind(self, text: str, where: str, problems: list[str]) -> dict[str, Any]:
        """Transitional when a transitional tag is present, with ``expire: DATE`` if given."""
        wanted = {_normal(t) for t in self.settings.transitional_tags}
        if not wanted & set(tags(text)):
            return {"kind": TicketKind.DEFINITIVE}
        raw = _marker(text, self.settings.expiry_markers)
        expires = parse_expiry(raw, self.settings.tz) if raw else None
        if raw and expires is None:
            problems.append(
                f"{where}: expiry date {raw!r} not understood: write it as 2026-12-31 or 31/12/2026"
            )
        return {"kind": TicketKind.TRANSITIONAL, "expires_at": expires}

    def mandate(self, text: str) -> str | None:
        """The written mandate reference after ``mandat:`` in the description."""
        return _marker(text, self.settings.mandate_markers)


# --- the source ---------------------------------------------------------------------------------


@dataclass
class GlpiSource:
    """A TicketSource reading GLPI Changes; one session per ``load()``."""

    settings: GlpiSettings
    name: str = "glpi"
    clock: Callable[[], datetime] = utcnow

    def load(self) -> Loaded:
        """Every usable change as a ticket; on any read failure one problem and no tickets."""
        try:
            client = self._client()
        except GlpiError as exc:
            return self._failed(str(exc), [])
        try:
            loaded = _Reader(self, client).read()
        except GlpiError as exc:
            return self._failed(str(exc), client.secrets)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a poll never stops
            message = f"GLPI {self.settings.url}: unexpected answer ({type(exc).__name__}: {exc})"
            return self._failed(message, client.secrets)
        finally:
            client.close()
        loaded.problems = [scrub(p, client.secrets) for p in loaded.problems]
        for problem in loaded.problems:
            log.warning("GLPI change ignored or not approved: %s", problem)
        log.info(
            "GLPI: %d tickets, %d problems from %s",
            len(loaded.tickets),
            len(loaded.problems),
            self.settings.url,
        )
        return loaded

    def _failed(self, message: str, secrets: list[str]) -> Loaded:
        problem = scrub(message, secrets) + "; GLPI tickets ignored until this is fixed"
        log.error("%s", problem)
        return Loaded(problems=[problem])

    def _client(self) -> GlpiClient:
        user = read_token(self.settings.user_token_file, "GLPI user token", "user_token_file")
        app = (
            read_token(self.settings.app_token_file, "GLPI App-Token", "app_token_file")
            if self.settings.app_token_file
            else None
        )
        return GlpiClient(self.settings, user_token=user, app_token=app)


class _Reader:
    """One load: the open session, the asset names read so far, the problems met."""

    def __init__(self, source: GlpiSource, client: GlpiClient) -> None:
        self.source = source
        self.settings = source.settings
        self.client = client
        self.mapper = ChangeMapper(source.settings)
        self.names: dict[tuple[str, int], str] = {}
        self.loaded = Loaded()

    def read(self) -> Loaded:
        """Open the session, then every change of ``GET /Change/``, page by page."""
        self.client.open()
        params = {"expand_dropdowns": "true", "get_hateoas": "false", "is_deleted": "false"}
        for change in self.client.pages("Change/", params):
            if not self._stale(change):
                self._add(change)
        return self.loaded

    def _stale(self, change: dict[str, Any]) -> bool:
        """A change finished (applied, closed, cancelled, refused) long ago is not read further."""
        if _int(change.get("status")) not in FINISHED_STATUSES:
            return False
        modified = _glpi_time(change.get("date_mod"), self.settings.tz)
        limit = timedelta(days=self.settings.finished_max_age_days)
        return modified is not None and self.source.clock() - modified > limit

    def _add(self, change: dict[str, Any]) -> None:
        """The change's ticket, or a problem saying why there is none."""
        cid = _int(change.get("id"))
        where = f"GLPI change {cid} ({self.settings.web_url}/front/change.form.php?id={cid})"
        title = _name(change.get("name")) or f"GLPI change {cid}"
        try:
            data = self._fields(change, cid, where, f"{title}\n{plain_text(change.get('content'))}")
            ticket = parse_ticket(
                {**data, "id": f"GLPI-{cid}", "title": title}, where, self.source.name
            )
        except _Skip as skip:
            self.loaded.problems.append(str(skip))
        except ConfigError as exc:
            self.loaded.problems.append(str(exc))
        else:
            # the approval checks (rollback, expiry, inventory, mandate) are applied to every
            # source alike when tickets are loaded: see authorize.policy.vet
            self.loaded.tickets.append(ticket)
            self.loaded.origins[ticket.id] = where

    def _fields(self, change: dict[str, Any], cid: int, where: str, text: str) -> dict[str, Any]:
        """The ticket fields; sub-items are read only as far as the change stays usable."""
        problems = self.loaded.problems
        categories = self.mapper.categories(change, where, text)
        devices = self._devices(cid, where)
        if not devices:
            raise _Skip(f"{where} has no linked network equipment: link the devices in GLPI")
        start, end = self.mapper.window(self._sub(cid, "ChangeTask"), where)
        return {
            "requested_by": _name(change.get("users_id_recipient")),
            "devices": devices,
            "categories": categories,
            "start": start,
            "end": end,
            "rollback": plain_text(change.get("backoutplancontent")),
            **self._approval(change, cid, where),
            "mandate": self.mapper.mandate(text),
            **self.mapper.kind(text, where, problems),
        }

    def _approval(self, change: dict[str, Any], cid: int, where: str) -> dict[str, Any]:
        """The status, and for an accepted change who accepted it (``ChangeValidation``); a
        solved or closed change that was accepted keeps its approval, with its closing time."""
        status = change_status(change)
        if status == TicketStatus.CLOSED:
            return self._closed(change, cid, where)
        if status != TicketStatus.APPROVED:
            return {"status": status, "approval": None}
        approval = self.mapper.approval(self._sub(cid, "ChangeValidation", expand=True), cid)
        if approval is None:
            self.loaded.problems.append(
                f"{where} is accepted but has no accepted approval with a date: "
                "counted as not approved; have the approver answer the approval in GLPI"
            )
            return {"status": TicketStatus.DRAFT, "approval": None}
        return {"status": status, "approval": approval}

    def _closed(self, change: dict[str, Any], cid: int, where: str) -> dict[str, Any]:
        """A finished change covers what happened before it was solved (or closed, if earlier):
        with no such date it covers nothing, since nobody can say when it ended."""
        tz = self.settings.tz
        dates = [_glpi_time(change.get(k), tz) for k in ("solvedate", "closedate")]
        ended = min((d for d in dates if d is not None), default=None)
        if ended is None:
            ended = _glpi_time(change.get("date_mod"), tz) or self.source.clock()
            fields: dict[str, Any] = {"status": TicketStatus.CLOSED, "closed_at": ended}
            if _int(change.get("global_validation")) == VALIDATION_ACCEPTED:
                self.loaded.problems.append(
                    f"{where} is finished but has neither a solve nor a close date: it covers "
                    "nothing; solve or close it again in GLPI"
                )
            return {**fields, "approval": None}
        approval = None
        if _int(change.get("global_validation")) == VALIDATION_ACCEPTED:
            validations = self._sub(cid, "ChangeValidation", expand=True)
            approval = self.mapper.approval(validations, cid)
        return {"status": TicketStatus.CLOSED, "approval": approval, "closed_at": ended}

    def _sub(self, cid: int, itemtype: str, *, expand: bool = False) -> list[dict[str, Any]]:
        """Every ``itemtype`` row of change ``cid`` (``GET /Change/{id}/{itemtype}``, paged)."""
        params = {"get_hateoas": "false", "expand_dropdowns": "true" if expand else "false"}
        return list(self.client.pages(f"Change/{cid}/{itemtype}", params))

    def _devices(self, cid: int, where: str) -> list[str]:
        """Names of the change's linked assets of the wanted types (``Change_Item``)."""
        names = []
        for link in self._sub(cid, "Change_Item"):
            itemtype, items_id = str(link.get("itemtype", "")), _int(link.get("items_id"))
            if itemtype not in self.settings.device_itemtypes or items_id <= 0:
                continue
            name = self._asset_name(itemtype, items_id)
            if name:
                names.append(name)
            else:
                self.loaded.problems.append(f"{where}: linked {itemtype} {items_id} has no name")
        return list(dict.fromkeys(names))

    def _asset_name(self, itemtype: str, items_id: int) -> str:
        """The asset's ``name`` (``GET /NetworkEquipment/{id}``), read once per load."""
        key = (itemtype, items_id)
        if key not in self.names:
            page = self.client.get(f"{itemtype}/{items_id}", {"get_hateoas": "false"})
            data = page.data if isinstance(page.data, dict) else {}
            self.names[key] = _name(data.get("name"))
        return self.names[key]
