"""The webhook notifier against real HTTP(S) receivers on 127.0.0.1: TLS, redirects, failures."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from prisme_drift.config import WebhookSettings
from prisme_drift.notify.check import test_notification as make_test_notification
from prisme_drift.notify.notifier import DeliveryError, Wording
from prisme_drift.notify.webhook import WebhookNotifier
from tests.notify.conftest import TlsFiles

SECRET_PATH = "/hooks/Wh-s3cret-Path-0042"
TOKEN = "Wh-T0ken-Value-1234"


@dataclass
class Receiver:
    """A webhook receiver: records every request (method, path, headers, body), answers
    ``status`` with ``headers``."""

    url: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)


@contextmanager
def receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1, over HTTPS when given a server TLS context."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.seen.append((self.command, self.path, dict(self.headers.items()), body))
            self.send_response(state.status)
            for key, value in state.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def https_receiver(tls_files: TlsFiles) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    with receiver(context) as state:
        yield state


def notifier(tmp_path: Path, url: str, **options: Any) -> WebhookNotifier:
    """The notifier of a ``[webhook]`` section with a token file."""
    token_file = tmp_path / "webhook-token"
    token_file.write_text(TOKEN + "\n")
    hook = WebhookSettings.model_validate({"url": url, "token_file": token_file} | options)
    return WebhookNotifier(hook, token_file, hook.ca_file)


def send(hook: WebhookNotifier) -> str:
    return hook.deliver(make_test_notification("cabinet-dupont"), Wording(language="en"))


def failure(hook: WebhookNotifier) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(hook)
    error = caught.value
    for text in (str(error), error.fix):
        assert "s3cret" not in text and TOKEN not in text
    return error


def test_https_receiver_behind_a_private_ca(
    https_receiver: Receiver, tmp_path: Path, tls_files: TlsFiles
) -> None:
    note = send(notifier(tmp_path, https_receiver.url, ca_file=tls_files.ca))
    assert note == f"HTTP 200 from {https_receiver.url.removesuffix(SECRET_PATH)}/…"
    [(method, path, headers, body)] = https_receiver.seen
    assert (method, path) == ("POST", SECRET_PATH)
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"].startswith("prisme-drift/")
    assert body["kind"] == "test" and body["site"] == "cabinet-dupont"


def test_https_certificate_checked_against_the_system_cas_by_default(
    https_receiver: Receiver, tmp_path: Path
) -> None:
    error = failure(notifier(tmp_path, https_receiver.url))
    assert error.kind == "tls"
    assert "TLS with https://127.0.0.1:" in str(error) and "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert "ca_file" in error.fix
    assert https_receiver.seen == []  # neither the token nor the body left


def test_a_ca_file_that_cannot_be_read_is_a_config_failure(tmp_path: Path) -> None:
    missing = tmp_path / "no-ca.pem"
    with receiver() as state:
        error = failure(notifier(tmp_path, state.url, ca_file=missing))
        assert state.seen == []
    assert error.kind == "config" and f"CA file {missing}" in str(error)


def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    with receiver() as state:
        state.status, state.headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
        error = failure(notifier(tmp_path, state.url))
        assert [(m, p) for m, p, _, _ in state.seen] == [("POST", SECRET_PATH)]
    assert error.kind == "http" and "HTTP 302 Found" in str(error)
    assert "redirects are not followed" in error.fix


def test_http_errors_say_which_setting_to_check(tmp_path: Path) -> None:
    with receiver() as state:
        state.status = 401
        error = failure(notifier(tmp_path, state.url))
    assert str(error) == f"{state.url.removesuffix(SECRET_PATH)}/… answered HTTP 401 Unauthorized"
    assert error.kind == "http" and error.fix == "check the token in token_file"


def test_unreachable_and_silent_receivers(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens
    error = failure(notifier(tmp_path, f"http://127.0.0.1:{port}{SECRET_PATH}"))
    assert error.kind == "connect" and "Connection refused" in str(error)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{SECRET_PATH}"
        error = failure(notifier(tmp_path, url, timeout=0.3))
    assert error.kind == "timeout" and "did not answer within 0.3 s" in str(error)
