"""Real git servers on 127.0.0.1 for the fleet push tests.

* :class:`SmartHttpServer`: git's own ``git http-backend`` (the smart HTTP protocol) behind an
  ``http.server`` that demands HTTP Basic authentication with one token, as a provider's git
  server in front of a site's repository does; it records the user names it was sent.
* :class:`SshGitServer`: git's own ``git-receive-pack`` behind a real SSH server (asyncssh)
  that accepts one deploy key, reached by the real ``ssh`` client.
* :func:`silent_listener`: a TCP port that accepts connections and never answers (a hung
  server or a black-holing firewall).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from subprocess import PIPE
from typing import Any
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


# --------------------------------------------------------------------------- git over SSH


class SshGitServer:
    """``git-receive-pack``/``git-upload-pack`` over real SSH (asyncssh) for the bare
    repositories under ``root``, one authorized client key, as a git host with deploy keys."""

    def __init__(self, root: Path, authorized_key: Path) -> None:
        import asyncssh

        self.root, self.authorized_key = root, authorized_key
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.commands: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._acceptor: Any = None

    def known_hosts_line(self) -> str:
        """The server's key as OpenSSH's known_hosts writes it for 127.0.0.1 on its port."""
        key = self.host_key.export_public_key("openssh").decode().strip()
        return f"[127.0.0.1]:{self.port} {key}\n"

    def url(self, name: str) -> str:
        return f"ssh://git@127.0.0.1:{self.port}/{name}"

    async def _handle(self, process: Any) -> None:
        command = str(process.command or "")
        self.commands.append(command)
        verb, _, quoted = command.partition(" ")
        path = self.root / quoted.strip("'").lstrip("/")
        if verb not in ("git-receive-pack", "git-upload-pack") or not path.is_dir():
            process.stderr.write(b"fatal: not a repository this key may use\n")
            process.exit(128)
            return
        child = await asyncio.create_subprocess_exec(
            verb, str(path), stdin=PIPE, stdout=PIPE, stderr=PIPE
        )
        await process.redirect(stdin=child.stdin, stdout=child.stdout, stderr=child.stderr)
        process.exit(await child.wait())
        await process.wait_closed()  # runs asyncssh's clean-up of the redirections

    async def _start(self) -> None:
        import asyncssh

        self._acceptor = await asyncssh.create_server(
            asyncssh.SSHServer,
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            authorized_client_keys=str(self.authorized_key),
            process_factory=self._handle,
            encoding=None,
        )
        self.port = self._acceptor.get_port()

    async def _stop(self) -> None:
        self._acceptor.close()
        await self._acceptor.wait_closed()

    def start(self) -> SshGitServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@contextlib.contextmanager
def ssh_git(root: Path, authorized_key: Path) -> Iterator[SshGitServer]:
    """A running :class:`SshGitServer`, stopped on exit."""
    server = SshGitServer(root, authorized_key).start()
    try:
        yield server
    finally:
        server.stop()
