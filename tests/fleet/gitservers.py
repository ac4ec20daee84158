"""Real git servers on 127.0.0.1 for the fleet push tests.

* :class:`SmartHttpServer`: git's own ``git http-backend`` (the smart HTTP protocol) behind an
  ``http.server`` that demands HTTP Basic authentication with one token, as a provider's git
  server in front of a site's repository does; it records the user names it was sent.
* :func:`silent_listener`: a TCP port that accepts connections and never answers (a hung
  server or a black-holing firewall).
"""

from __future__ import annotations

import base64
import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class _GitHandler(BaseHTTPRequestHandler):
    server: SmartHttpServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows what matters."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        self.server.users.append(user)
        return password == self.server.token

    def _serve(self) -> None:
        if not self._authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fleet"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "REMOTE_USER": "site",  # authenticated: http-backend allows receive-pack
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        headers = [line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line]
        status = next((int(v.split()[0]) for k, v in headers if k == "Status"), 200)
        self.send_response(status)
        for key, value in headers:
            if key != "Status":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class SmartHttpServer(ThreadingHTTPServer):
    """``git http-backend`` for the bare repositories under ``root``, behind Basic auth."""

    daemon_threads = True

    def __init__(self, root: Path, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _GitHandler)
        self.root, self.token = root, token
        self.users: list[str] = []

    def url(self, name: str, user: str | None = None) -> str:
        who = f"{user}@" if user else ""
        return f"http://{who}127.0.0.1:{self.server_address[1]}/{name}"


@contextlib.contextmanager
def smart_http(root: Path, token: str) -> Iterator[SmartHttpServer]:
    """A running :class:`SmartHttpServer`, shut down on exit."""
    server = SmartHttpServer(root, token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections and never sends a byte; closed on exit."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
