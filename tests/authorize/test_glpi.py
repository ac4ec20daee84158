"""GlpiSource against a local HTTP server speaking GLPI's REST API (payloads in glpi_payloads/)."""

from __future__ import annotations

import copy
import json
import logging
import secrets
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prisme_drift.authorize.glpi import GlpiClient, GlpiSource, parse_expiry, plain_text
from prisme_drift.authorize.glpi.client import read_token
from prisme_drift.authorize.model import Ticket, TicketKind, TicketStatus
from prisme_drift.authorize.policy import vet
from prisme_drift.authorize.sources import Loaded, Refusal
from prisme_drift.errors import ConfigError, GlpiConfigError, GlpiError, OperationalError
from prisme_drift.models import Category, DeviceRef
from prisme_drift.settings_glpi import GlpiSettings
from tests.notify.conftest import TlsFiles

PAYLOADS = Path(__file__).parent / "glpi_payloads"
REUNION = timezone(timedelta(hours=4))
NOW = datetime(2026, 3, 8, tzinfo=UTC)


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


@dataclass
class FakeGlpi:
    """The state of the fake GLPI: its data, its tokens, and every request it saw."""

    app_token: str
    user_token: str
    session_token: str = field(default_factory=lambda: payload("initSession.json")["session_token"])
    data: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, tuple[int, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    port: int = 0
    scheme: str = "http"

    def __post_init__(self) -> None:
        for name in ("Change", "Change_Item", "ChangeTask", "ChangeValidation"):
            self.data[name] = copy.deepcopy(payload(f"{name}.json"))
        for name in ("NetworkEquipment", "Computer"):
            self.data[name] = copy.deepcopy(payload(f"{name}.json"))

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/glpi/apirest.php"

    def paths(self) -> list[str]:
        """Every endpoint asked, with its range when paged, in order."""
        return [p + (f"?range={q['range']}" if "range" in q else "") for p, q, _ in self.requests]

    def change(self, cid: int) -> dict[str, Any]:
        return next(c for c in self.data["Change"] if c["id"] == cid)


class Handler(BaseHTTPRequestHandler):
    """Answers like apirest.php: session checks, paging with Content-Range, GLPI error arrays."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        glpi = self.server.glpi
        split = urllib.parse.urlsplit(self.path)
        endpoint = split.path.removeprefix("/glpi/apirest.php/").rstrip("/")
        query = dict(urllib.parse.parse_qsl(split.query))
        glpi.requests.append((endpoint, query, dict(self.headers.items())))
        if not split.path.startswith("/glpi/apirest.php/"):
            self.send(404, b"<html><body>Not Found</body></html>")  # the web server, not GLPI
        elif endpoint in glpi.overrides:
            self.send(*glpi.overrides[endpoint])
        elif self.headers.get("App-Token") != glpi.app_token:
            self.send(400, payload("error_app_token.json"))
        elif endpoint == "initSession":
            self.init_session()
        elif not self.headers.get("Session-Token"):
            self.send(400, payload("error_session_missing.json"))
        elif self.headers["Session-Token"] not in glpi.sessions:
            self.send(401, payload("error_session_invalid.json"))
        elif endpoint == "killSession":
            glpi.sessions.discard(self.headers["Session-Token"])
            self.send(200, True)
        else:
            self.item(endpoint.split("/"), query)

    def init_session(self) -> None:
        glpi = self.server.glpi
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("user_token "):
            self.send(400, payload("error_login_missing.json"))
        elif auth.removeprefix("user_token ") != glpi.user_token:
            self.send(401, payload("error_user_token.json"))
        else:
            glpi.sessions.add(glpi.session_token)
            self.send(200, {"session_token": glpi.session_token})

    def item(self, parts: list[str], query: dict[str, str]) -> None:
        data = self.server.glpi.data
        if parts == ["Change"]:
            self.page(data["Change"], query)
        elif len(parts) == 3 and parts[0] == "Change":
            self.page(data[parts[2]].get(parts[1], []), query)
        elif len(parts) == 2 and parts[1] in data.get(parts[0], {}):
            self.send(200, data[parts[0]][parts[1]])
        else:
            self.send(404, payload("error_not_found.json"))

    def page(self, rows: list[Any], query: dict[str, str]) -> None:
        """src/Api/APIRest.php: 206 + Content-Range start-end/total when partial."""
        start, end = (int(n) for n in query.get("range", "0-49").split("-"))
        total = len(rows)
        if start > total:
            self.send(400, payload("error_range.json"))
            return
        end = min(end, total - 1)
        headers = {"Accept-Range": "Change 1000"}
        if total:
            headers["Content-Range"] = f"{start}-{end}/{total}"
        code = 206 if end - start + 1 < total else 200
        self.send(code, rows[start : end + 1], headers)

    def send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class _Server(ThreadingHTTPServer):
    glpi: FakeGlpi


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[FakeGlpi]:
    """A fake GLPI on 127.0.0.1, over HTTPS when given a server TLS context."""
    state = FakeGlpi(app_token=secrets.token_hex(20), user_token=secrets.token_hex(20))
    server = _Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        state.scheme = "https"
    server.glpi = state
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def glpi() -> Iterator[FakeGlpi]:
    with serve() as state:
        yield state


@pytest.fixture
def glpi_https(tls_files: TlsFiles) -> Iterator[FakeGlpi]:
    """The fake GLPI behind a certificate signed by the test CA (tests/notify/conftest.py)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    with serve(context) as state:
        yield state


def settings(glpi: FakeGlpi, tmp_path: Path, **overrides: Any) -> GlpiSettings:
    user, app = tmp_path / "glpi-user-token", tmp_path / "glpi-app-token"
    user.write_text(overrides.pop("user_token", glpi.user_token) + "\n")
    app.write_text(overrides.pop("app_token", glpi.app_token) + "\n")
    values: dict[str, Any] = {
        "url": overrides.pop("url", glpi.url),
        "user_token_file": user,
        "app_token_file": app,
        "timezone": "Indian/Reunion",
        "timeout": 5,
        "page_size": 6,
        "category_map": {"Réseau > Routage": ["routing"]},
    }
    return GlpiSettings.model_validate(values | overrides)


def load(glpi: FakeGlpi, tmp_path: Path, **overrides: Any) -> Loaded:
    return GlpiSource(settings(glpi, tmp_path, **overrides), clock=lambda: NOW).load()


def by_id(loaded: Loaded) -> dict[str, Ticket]:
    return {t.id: t for t in loaded.tickets}


def problem_about(loaded: Loaded, cid: int) -> list[str]:
    return [p for p in loaded.problems if f"GLPI change {cid} " in p]


# --- mapping -------------------------------------------------------------------------------------


def test_accepted_change_becomes_an_approved_ticket(glpi: FakeGlpi, tmp_path: Path) -> None:
    ticket = by_id(load(glpi, tmp_path))["GLPI-101"]
    assert ticket.status == TicketStatus.APPROVED
    assert ticket.title == "Création VLAN 40 imagerie [vlan]"
    assert ticket.source == "glpi"
    assert ticket.requested_by == "Martin Paul"
    assert ticket.devices == ("sw-imagerie", "rt-edge")  # the linked Computer is not a device
    assert ticket.categories == (Category.ROUTING, Category.VLAN)  # ITIL category, then [vlan]
    assert ticket.start == datetime(2026, 3, 10, 20, 0, tzinfo=REUNION)
    assert ticket.end == datetime(2026, 3, 10, 22, 30, tzinfo=REUNION)
    assert ticket.start.utcoffset() == timedelta(hours=4)
    assert ticket.rollback == "Retour arrière :\n- no vlan 40\n- Gi1/0/3 > vlan 20"
    assert ticket.approval is not None
    assert ticket.approval.by == "Dupont Marie"
    assert ticket.approval.at == datetime(2026, 3, 5, 9, 12, tzinfo=REUNION)
    assert ticket.approval.ref == "GLPI change 101, approval #7"
    assert ticket.kind == TicketKind.DEFINITIVE and ticket.mandate is None


def test_waiting_validation_gives_a_draft(glpi: FakeGlpi, tmp_path: Path) -> None:
    ticket = by_id(load(glpi, tmp_path))["GLPI-102"]
    assert ticket.status == TicketStatus.DRAFT
    assert ticket.approval is None
    assert ticket.categories == (Category.ACL,)


def test_refused_validation_is_not_approved(glpi: FakeGlpi, tmp_path: Path) -> None:
    ticket = by_id(load(glpi, tmp_path))["GLPI-103"]
    assert ticket.status == TicketStatus.DRAFT and ticket.approval is None


def test_refused_change_status_is_cancelled(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.change(103)["status"] = 13  # Change::REFUSED (GLPI 10)
    assert by_id(load(glpi, tmp_path))["GLPI-103"].status == TicketStatus.CANCELLED


def test_canceled_change_is_cancelled_even_if_accepted(glpi: FakeGlpi, tmp_path: Path) -> None:
    ticket = by_id(load(glpi, tmp_path))["GLPI-104"]
    assert ticket.status == TicketStatus.CANCELLED and ticket.approval is None


def test_applied_change_is_closed(glpi: FakeGlpi, tmp_path: Path) -> None:
    assert by_id(load(glpi, tmp_path))["GLPI-108"].status == TicketStatus.CLOSED


def test_change_without_network_equipment_is_a_problem(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    assert "GLPI-105" not in by_id(loaded)
    [problem] = problem_about(loaded, 105)
    assert "has no linked network equipment: link the devices in GLPI" in problem
    assert "front/change.form.php?id=105" in problem


def test_other_itemtypes_count_when_configured(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path, device_itemtypes=["NetworkEquipment", "Computer"])
    assert by_id(loaded)["GLPI-105"].devices == ("PC-RADIO-01",)


def test_change_without_category_is_a_problem(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    assert "GLPI-109" not in by_id(loaded)
    [problem] = problem_about(loaded, 109)
    assert "category_map" in problem and "[vlan]" in problem


def test_unmapped_itil_category_is_named(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.change(109)["itilcategories_id"] = "Réseau > Wifi"
    [problem] = problem_about(load(glpi, tmp_path), 109)
    assert "'Réseau > Wifi' is not in category_map" in problem


def test_itil_category_leaf_and_id_suffix_match(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.change(109)["itilcategories_id"] = "Réseau > Wifi (12)"  # GLPI's "show IDs" preference
    loaded = load(glpi, tmp_path, category_map={"wifi": ["wifi"]})
    assert by_id(loaded)["GLPI-109"].categories == (Category.WIFI,)


def test_default_categories_only_when_explicit(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path, default_categories=["other"])
    assert by_id(loaded)["GLPI-109"].categories == (Category.OTHER,)
    assert by_id(loaded)["GLPI-101"].categories == (Category.ROUTING, Category.VLAN)


def test_transitional_marker_with_expiry(glpi: FakeGlpi, tmp_path: Path) -> None:
    ticket = by_id(load(glpi, tmp_path))["GLPI-106"]
    assert ticket.kind == TicketKind.TRANSITIONAL
    assert ticket.expires_at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=REUNION)
    assert ticket.categories == (Category.NAT,)
    assert ticket.status == TicketStatus.APPROVED


def refused(loaded: Loaded, ticket_id: str) -> Refusal:
    """The same approval checks as the CLI, with every named device in the inventory."""
    refs = {d: DeviceRef(name=d) for t in loaded.tickets for d in t.devices}
    [refusal] = [r for r in vet(loaded, refs).refused if r.ticket.id == ticket_id]
    return refusal


def test_transitional_without_expiry_is_refused(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.change(106)["content"] = "&lt;p&gt;Ouverture temporaire.&lt;/p&gt;"
    loaded = load(glpi, tmp_path)
    ticket = by_id(loaded)["GLPI-106"]
    assert ticket.kind == TicketKind.TRANSITIONAL and ticket.expires_at is None
    refusal = refused(loaded, "GLPI-106")
    assert any("expiry date" in r for r in refusal.reasons)
    assert refusal.where.startswith("GLPI change 106 (")


def test_mandate_marker(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    assert by_id(loaded)["GLPI-107"].mandate == "MND-2026-014"
    assert by_id(loaded)["GLPI-101"].mandate is None


def test_accepted_without_rollback_is_refused(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    assert by_id(loaded)["GLPI-111"].devices == ("ap-accueil",)
    assert any("no rollback plan" in r for r in refused(loaded, "GLPI-111").reasons)


def test_solved_change_covers_until_its_solve_date(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.change(108)["solvedate"] = "2026-03-10 21:00:00"
    glpi.change(108)["closedate"] = "2026-03-11 09:00:00"
    glpi.data["ChangeValidation"]["108"] = [
        {**glpi.data["ChangeValidation"]["101"][0], "id": 70, "changes_id": 108}
    ]
    ticket = by_id(load(glpi, tmp_path))["GLPI-108"]
    assert ticket.status == TicketStatus.CLOSED and ticket.approval is not None
    assert ticket.closed_at == datetime(2026, 3, 10, 21, 0, tzinfo=REUNION)


def test_finished_change_without_dates_covers_nothing(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    ticket = by_id(loaded)["GLPI-108"]  # solved, accepted, but neither solvedate nor closedate
    assert ticket.status == TicketStatus.CLOSED and ticket.approval is None
    assert any("neither a solve nor a close date" in p for p in problem_about(loaded, 108))


def test_accepted_without_accepted_validation_is_draft(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.data["ChangeValidation"]["101"] = []
    loaded = load(glpi, tmp_path)
    assert by_id(loaded)["GLPI-101"].status == TicketStatus.DRAFT
    assert any("no accepted approval" in p for p in problem_about(loaded, 101))


def test_change_without_planned_task_is_a_problem(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.data["ChangeTask"]["102"] = []
    loaded = load(glpi, tmp_path)
    assert "GLPI-102" not in by_id(loaded)
    [problem] = problem_about(loaded, 102)
    assert "no planned window" in problem


def test_impossible_task_date_is_no_window(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.data["ChangeTask"]["102"][0]["begin"] = "2026-02-30 19:00:00"
    [problem] = problem_about(load(glpi, tmp_path), 102)
    assert "no planned window" in problem


def test_old_finished_changes_are_not_read(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    assert "GLPI-110" not in by_id(loaded)
    assert not any(p.startswith("Change/110/") for p in glpi.paths())
    assert "GLPI-110" in by_id(load(glpi, tmp_path, finished_max_age_days=36_500))


# --- API calls -----------------------------------------------------------------------------------


def test_api_calls_session_paging_and_headers(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path)
    paths = glpi.paths()
    assert paths[0] == "initSession" and paths[-1] == "killSession"
    assert [p for p in paths if p.startswith("Change?")] == [
        "Change?range=0-5",
        "Change?range=6-11",
    ]
    assert paths.index("Change/101/Change_Item?range=0-5") < paths.index("NetworkEquipment/5")
    assert paths.count("NetworkEquipment/5") == 1  # each asset read once per load
    assert "Computer/30" not in paths
    init_headers = glpi.requests[0][2]
    assert init_headers["Authorization"] == f"user_token {glpi.user_token}"
    assert init_headers["App-Token"] == glpi.app_token
    for _, _, headers in glpi.requests[1:]:
        assert headers["Session-Token"] == glpi.session_token
        assert "Authorization" not in headers
    [(_, list_query, _)] = [r for r in glpi.requests if r[0] == "Change"][:1]
    assert list_query["expand_dropdowns"] == "true"
    assert glpi.sessions == set()  # killSession ended it
    assert len(loaded.tickets) == 8  # 11 changes: 110 not read (old), 105 and 109 skipped
    # 105 (no equipment), 109 (no category), 108 (finished, no solve/close date); 111 (no
    # rollback) is refused later, by the approval checks every source goes through
    assert len(loaded.problems) == 3


def test_sub_items_are_paged_too(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.data["Change_Item"]["101"] *= 3  # 9 links over pages of 6 (names deduplicated)
    loaded = load(glpi, tmp_path)
    assert "Change/101/Change_Item?range=6-11" in glpi.paths()
    assert by_id(loaded)["GLPI-101"].devices == ("sw-imagerie", "rt-edge")


# --- failures ------------------------------------------------------------------------------------


def assert_failed(loaded: Loaded, *fragments: str) -> str:
    assert loaded.tickets == []
    [problem] = loaded.problems
    for fragment in fragments:
        assert fragment in problem
    return problem


def test_wrong_user_token(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path, user_token="not-the-token")
    problem = assert_failed(
        loaded, f"{glpi.url}/initSession", "HTTP 401", "ERROR_GLPI_LOGIN_USER_TOKEN"
    )
    assert "Enable login with external token" in problem
    assert glpi.paths() == ["initSession"]


def test_wrong_app_token(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path, app_token="not-the-app-token")
    assert_failed(loaded, "HTTP 400", "ERROR_WRONG_APP_TOKEN_PARAMETER", "app_token_file")


def test_http_500_on_the_list_gives_no_tickets(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.overrides["Change"] = (500, payload("error_sql.json"))
    loaded = load(glpi, tmp_path)
    assert_failed(loaded, f"{glpi.url}/Change/?", "HTTP 500", "ERROR_SQL", "php-errors.log")
    assert glpi.paths()[-1] == "killSession"  # the session is closed all the same


def test_http_500_on_a_sub_item_gives_no_tickets(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.overrides["Change/106/ChangeTask"] = (500, b"<html>Internal Server Error</html>")
    assert_failed(load(glpi, tmp_path), "Change/106/ChangeTask", "HTTP 500")


def test_rights_missing(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.overrides["Change/101/ChangeValidation"] = (
        403,
        ["ERROR_RIGHT_MISSING", "You don't have permission to perform this action."],
    )
    assert_failed(load(glpi, tmp_path), "HTTP 403", "read access to changes")


def test_not_json(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.overrides["Change"] = (200, b"<html><body>Login</body></html>")
    assert_failed(load(glpi, tmp_path), "not JSON", "apirest.php")


def test_wrong_url(glpi: FakeGlpi, tmp_path: Path) -> None:
    loaded = load(glpi, tmp_path, url=f"http://127.0.0.1:{glpi.port}/glpi")
    assert_failed(loaded, "HTTP 404", "address of apirest.php")


def test_redirect_is_not_followed(glpi: FakeGlpi, tmp_path: Path) -> None:
    glpi.overrides["Change"] = (302, b"")
    loaded = load(glpi, tmp_path)
    assert_failed(loaded, "HTTP 302", "not followed")


def test_unreachable(glpi: FakeGlpi, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens
    loaded = load(glpi, tmp_path, url=f"http://127.0.0.1:{port}/apirest.php")
    assert_failed(loaded, "cannot connect", f"127.0.0.1:{port}")


def test_timeout(glpi: FakeGlpi, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/apirest.php"
        loaded = load(glpi, tmp_path, url=url, timeout=0.3)
    assert_failed(loaded, "no answer within 0.3 s")


def test_https_with_the_ca_of_a_private_pki(
    glpi_https: FakeGlpi, tmp_path: Path, tls_files: TlsFiles
) -> None:
    loaded = load(glpi_https, tmp_path, ca_file=tls_files.ca)
    assert "GLPI-101" in by_id(loaded)
    assert glpi_https.sessions == set()


def test_https_certificate_checked_against_the_system_cas_by_default(
    glpi_https: FakeGlpi, tmp_path: Path
) -> None:
    loaded = load(glpi_https, tmp_path)
    assert_failed(loaded, f"{glpi_https.url}/initSession", "TLS certificate not trusted", "ca_file")
    assert glpi_https.requests == []  # nothing, tokens included, went over the untrusted link


def test_https_unchecked_only_when_verify_tls_is_off(glpi_https: FakeGlpi, tmp_path: Path) -> None:
    assert "GLPI-101" in by_id(load(glpi_https, tmp_path, verify_tls=False))


def test_a_ca_file_that_cannot_be_read_is_a_settings_problem(
    glpi: FakeGlpi, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    loaded = load(glpi, tmp_path, ca_file=missing)
    assert_failed(loaded, f"CA file {missing}", "No such file", "point ca_file at a PEM file")
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("not a certificate\n")
    assert_failed(load(glpi, tmp_path, ca_file=not_pem), f"CA file {not_pem}", "ca_file")
    assert glpi.requests == []


def test_glpi_errors_carry_the_exit_code_of_their_cause(glpi: FakeGlpi, tmp_path: Path) -> None:
    with pytest.raises(GlpiConfigError) as bad_setting:  # exit 2: fix the settings
        read_token(tmp_path / "absent", "GLPI user token", "user_token_file")
    assert isinstance(bad_setting.value, ConfigError)
    config = settings(glpi, tmp_path, url=f"http://127.0.0.1:{glpi.port}/nowhere/apirest.php")
    client = GlpiClient(config, user_token=glpi.user_token, app_token=glpi.app_token)
    with pytest.raises(GlpiError) as unreachable:  # exit 7: GLPI is down or misrouted
        client.open()
    client.close()
    assert isinstance(unreachable.value, OperationalError)
    assert not isinstance(unreachable.value, ConfigError)
    assert "HTTP 404" in str(unreachable.value)


def test_missing_token_file(glpi: FakeGlpi, tmp_path: Path) -> None:
    config = settings(glpi, tmp_path)
    config.user_token_file.unlink()
    loaded = GlpiSource(config).load()
    assert_failed(loaded, str(config.user_token_file), "user_token_file")
    assert glpi.requests == []


def test_tokens_never_in_problems_or_logs(
    glpi: FakeGlpi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    results = [load(glpi, tmp_path)]
    glpi.overrides["Change/107/Change_Item"] = (500, payload("error_sql.json"))
    results.append(load(glpi, tmp_path))
    glpi.overrides["killSession"] = (500, b"boom")
    results.append(load(glpi, tmp_path))
    results.append(load(glpi, tmp_path, user_token="wrong-user-token-0123456789"))
    texts = [p for r in results for p in r.problems] + [r.getMessage() for r in caplog.records]
    assert any("GLPI GET" in t for t in texts) and any("HTTP 500" in t for t in texts)
    for secret in (glpi.user_token, glpi.app_token, glpi.session_token, "0123456789"):
        assert not any(secret in text for text in texts), secret
        assert secret not in caplog.text


# --- settings and helpers ------------------------------------------------------------------------


def test_settings_refuse_tokens_and_unknown_timezone(tmp_path: Path) -> None:
    base = {"url": "https://glpi.example/apirest.php", "user_token_file": tmp_path / "t"}
    with pytest.raises(ValidationError, match="never write a GLPI token"):
        GlpiSettings.model_validate(base | {"user_token": "abc"})
    with pytest.raises(ValidationError, match="unknown timezone"):
        GlpiSettings.model_validate(base | {"timezone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="no user or password"):
        GlpiSettings.model_validate(base | {"url": "https://bob:pw@glpi.example/apirest.php"})
    with pytest.raises(ValidationError):
        GlpiSettings.model_validate(base | {"category_map": {"x": ["vlans"]}})
    config = GlpiSettings.model_validate(base | {"url": "https://glpi.example/apirest.php/"})
    assert config.url == "https://glpi.example/apirest.php"
    assert config.web_url == "https://glpi.example"
    assert config.verify_tls and config.default_categories == ()


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("&lt;p&gt;a &amp;amp; b&lt;/p&gt;&lt;p&gt;c&amp;nbsp;d&lt;/p&gt;", "a & b\nc d"),
        ("<p>a &amp; b</p><p>&lt;vlan&gt;</p>", "a & b\n<vlan>"),
        ("<ul><li>un</li><li>deux</li></ul><script>x()</script>", "- un\n- deux"),
        ("texte simple", "texte simple"),
        (None, ""),
    ],
)
def test_plain_text(stored: str | None, text: str) -> None:
    assert plain_text(stored) == text


def test_parse_expiry() -> None:
    assert parse_expiry("31/12/2026", REUNION) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=REUNION)
    assert parse_expiry("2026-12-31 18:00", REUNION) == datetime(
        2026, 12, 31, 18, 0, tzinfo=REUNION
    )
    assert parse_expiry("fin décembre", REUNION) is None
