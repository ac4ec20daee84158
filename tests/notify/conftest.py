"""Real servers on 127.0.0.1 for the notification tests.

* ``smtp_server``: a factory of aiosmtpd servers (plain, STARTTLS or TLS from the first byte,
  with or without AUTH LOGIN/PLAIN), which record every accepted message; they can be stopped
  and started again on the same port (an outage).
* ``tls_files``: a CA and a server certificate for 127.0.0.1/localhost, made at test time.
* ``webhook_server``: an ``http.server`` that records POSTs and answers scripted status codes.
* ``notify_site``: a lab site whose settings point at those servers.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from prisme_drift.config import Settings, load_settings
from tests.conftest import LabSite

# aiosmtpd warns about its own use of a deprecated attribute at every AUTH: not ours to fix.
logging.getLogger("mail.log").setLevel(logging.ERROR)

SMTP_USER = "alerts@example.net"
SMTP_PASSWORD = "Sm7p-P4ss!word"  # the tests check it never shows up anywhere


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away CA and a certificate it signed for 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("prisme-drift test CA"))
        .issuer_name(_name("prisme-drift test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return TlsFiles(
        ca=_write_pem(folder / "ca.pem", ca.public_bytes(pem)),
        cert=_write_pem(folder / "server.pem", cert.public_bytes(pem)),
        key=_write_pem(
            folder / "server.key",
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ),
    )


def server_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert, files.key)
    return context


# --------------------------------------------------------------------------- SMTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype
        return str(body.get_content()).replace("\r\n", "\n")

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def everything(self) -> str:
        """Headers, raw bytes and decoded parts: where a secret could hide."""
        headers = "\n".join(f"{k}: {v}" for k, v in self.message.items())
        raw = self.raw.decode("utf-8", "replace")
        return "\n".join([headers, raw, self.text, self.html])


class Sink:
    """aiosmtpd handler: records messages, refuses the recipients it is told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login)
        )
        return "250 2.0.0 accepted"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class _TlsController(Controller):
    """Controller for TLS from the first byte: its readiness probe must speak TLS as a client."""

    def _trigger_server(self) -> None:
        client = ssl.create_default_context()
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection((self.hostname, self.port), 1.0) as raw,
            client.wrap_socket(raw) as sock,
        ):
            sock.recv(1024)


@dataclass
class SmtpServer:
    """An SMTP server on 127.0.0.1 that can go down and come back on the same port."""

    security: str
    auth: bool
    files: TlsFiles
    port: int = field(default_factory=free_port)
    sink: Sink = field(default_factory=Sink)
    exclude: tuple[str, ...] = ()
    controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.sink.received

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port, "ready_timeout": 5}
        if self.auth:
            kwargs.update(
                authenticator=_authenticator,
                auth_exclude_mechanism=list(self.exclude),
                auth_required=True,
            )
        if self.security == "starttls":
            kwargs.update(tls_context=server_context(self.files), require_starttls=True)
        if self.security == "tls":
            # TLS from the first byte: aiosmtpd only counts STARTTLS as "TLS" for AUTH (and
            # warns that AUTH without TLS is risky: it is not, here).
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            self.controller = _TlsController(
                self.sink, ssl_context=server_context(self.files), auth_require_tls=False, **kwargs
            )
        else:
            self.controller = Controller(self.sink, auth_require_tls=self.auth, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def toml(self, folder: Path, **extra: Any) -> str:
        """The ``[smtp]`` section that reaches this server (password in a 0600 file)."""
        lines = [
            "[smtp]",
            'host = "127.0.0.1"',
            f"port = {self.port}",
            f'security = "{self.security}"',
            'from = "prisme-drift@example.net"',
            'to = ["it@example.net"]',
            "timeout = 5",
        ]
        if self.security != "none":
            lines.append(f'ca_file = "{self.files.ca}"')
        if self.auth:
            secret = folder / "smtp-password"
            secret.write_text(SMTP_PASSWORD + "\n")
            secret.chmod(0o600)
            lines += [f'username = "{SMTP_USER}"', f'password_file = "{secret}"']
        lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
        return "\n".join(lines) + "\n"


@pytest.fixture
def smtp_server(tls_files: TlsFiles) -> Iterator[Callable[..., SmtpServer]]:
    """Factory: ``smtp_server("starttls", auth=True, start=True)``; all stopped afterwards."""
    servers: list[SmtpServer] = []

    def factory(
        security: str = "starttls", *, auth: bool = True, start: bool = True, **kw: Any
    ) -> SmtpServer:
        server = SmtpServer(security, auth, tls_files, **kw)
        servers.append(server)
        return server.start() if start else server

    yield factory
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------- webhook


@dataclass
class WebhookServer:
    """Records POSTs; answers the scripted statuses first, then 200."""

    url: str
    requests: list[tuple[dict[str, str], dict[str, Any]]]
    script: list[int]


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    requests: list[tuple[dict[str, str], dict[str, Any]]] = []
    script: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append((dict(self.headers.items()), json.loads(body)))
            status = script.pop(0) if script else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield WebhookServer(f"http://127.0.0.1:{port}/hooks/s3cret-path", requests, script)
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- sites


def add_settings(site: LabSite, text: str) -> Settings:
    """Append TOML to the site's settings (replacing its [notify] section) and reload them."""
    config = site.config_file
    current = config.read_text()
    start = current.index("[notify]")
    end = current.find("\n[", start + 1)
    kept = current[:start] + (current[end + 1 :] if end != -1 else "")
    config.write_text(kept.rstrip() + "\n\n" + text)
    site.settings = load_settings(config)
    return site.settings


NOTIFY_QUIET = '[notify]\nheartbeat = "off"\n'


@pytest.fixture
def notify_site(
    lab_site: Callable[..., LabSite], smtp_server: Callable[..., SmtpServer]
) -> Callable[..., tuple[LabSite, SmtpServer]]:
    """Factory: a lab site whose alerts go to a fresh SMTP server (STARTTLS + AUTH)."""

    def factory(
        names: list[str] | None = None, *, notify: str = NOTIFY_QUIET, start: bool = True
    ) -> tuple[LabSite, SmtpServer]:
        site = lab_site(names or ["sw01"])
        server = smtp_server("starttls", auth=True, start=start)
        add_settings(site, notify + "\n" + server.toml(site.folder))
        return site, server

    return factory
