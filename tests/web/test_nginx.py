"""The nginx server block of docs/web.md, as printed there, in front of the real web server:
plain HTTP is redirected, HTTPS carries HSTS and secure cookies, the address recorded is the one
nginx saw (a browser's own X-Forwarded-For is replaced), and a big body is refused by nginx."""

from __future__ import annotations

import datetime
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from prisme_drift.fleet.schema import web_login_attempts
from tests.web.conftest import Users, WebServer, csrf_of

pytestmark = pytest.mark.postgres

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"
NAME = "drift.example.net"
FORGED = "203.0.113.66"  # what a browser claims in its own X-Forwarded-For


def server_block() -> str:
    """The ```nginx block of docs/web.md."""
    found = re.search(r"```nginx\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"no nginx block in {DOC}"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for NAME, as certbot would leave them."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


@dataclass(frozen=True)
class Proxy:
    http: str
    https: str


def nginx_conf(folder: Path, web: WebServer, http_port: int, https_port: int) -> Path:
    """The documented block with this machine's ports, certificate and upstream, inside the
    minimal main context nginx needs to run unprivileged files from ``folder``."""
    chain, private = self_signed(folder)
    upstream = web.url.removeprefix("http://")
    block = (
        server_block()
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace(f"/etc/letsencrypt/live/{NAME}/fullchain.pem", str(chain))
        .replace(f"/etc/letsencrypt/live/{NAME}/privkey.pem", str(private))
        .replace("proxy_pass http://127.0.0.1:8080;", f"proxy_pass http://{upstream};")
    )
    temp = folder / "temp"
    temp.mkdir(mode=0o777)
    temp.chmod(0o777)  # nginx's workers (nobody, when the tests run as root) write there
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\nhttp {{\n"
        f"access_log off;\nclient_body_temp_path {temp}/body;\nproxy_temp_path {temp}/proxy;\n"
        f"fastcgi_temp_path {temp}/fcgi;\nuwsgi_temp_path {temp}/uwsgi;\n"
        f"scgi_temp_path {temp}/scgi;\n{block}\n}}\n"
    )
    return conf


def wait_for_port(port: int, nginx: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and nginx.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}: {nginx.communicate()[1] if nginx.poll() else ''}")


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, web_server_factory: Callable[..., WebServer]
) -> Iterator[tuple[Proxy, WebServer]]:
    """nginx with the documented block in front of a web server with secure cookies."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: run ./dev.sh test (it installs it as root), or: "
                    "sudo apt-get install -y nginx")  # fmt: skip
    web = web_server_factory(cookie_secure=True)
    folder = tmp_path_factory.mktemp("nginx")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    conf = nginx_conf(folder, web, http_port, https_port)
    checked = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    command = [nginx, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"]
    running = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(https_port, running)
        yield Proxy(f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}"), web
    finally:
        running.terminate()
        running.wait(timeout=30)


def browser_client(base: str) -> httpx.Client:
    """A client that names the site as a browser does and claims an address of its own."""
    return httpx.Client(
        base_url=base,
        verify=False,  # the throw-away certificate of the fixture
        timeout=30,
        headers={"Host": NAME, "X-Forwarded-For": FORGED},
    )


def attempts(web: WebServer, login: str) -> list[str]:
    a = web_login_attempts.c
    with web.central.engine.connect() as connection:
        return list(connection.scalars(select(a.ip).where(a.login == login).order_by(a.id)))


def test_plain_http_is_redirected_to_https(proxy: tuple[Proxy, WebServer]) -> None:
    urls, _ = proxy
    with browser_client(urls.http) as client:
        answer = client.get("/login")
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://{NAME}/login"


def test_behind_nginx_the_address_recorded_is_the_one_nginx_saw(
    proxy: tuple[Proxy, WebServer], app_server: WebServer, users: Users
) -> None:
    urls, web = proxy
    login, password = users.add("technician")
    with browser_client(urls.https) as client:
        form = client.get("/login")
        assert form.status_code == 200
        assert form.headers["strict-transport-security"].startswith("max-age=63072000")
        assert len(form.headers.get_list("content-security-policy")) == 1  # not added twice
        assert "secure" in form.headers["set-cookie"].lower()
        data = {"login": login, "password": password, "csrf": csrf_of(form), "next": "/"}
        answer = client.post("/login", data=data)
        assert answer.status_code == 303, answer.text
        assert "secure" in answer.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200  # the Secure cookie came back over HTTPS
        too_big = client.post("/logout", data={"csrf": "x", "pad": "x" * 100_000})
        assert too_big.status_code == 413  # client_max_body_size: refused by nginx
    assert attempts(web, login) == ["127.0.0.1"]  # not FORGED: nginx replaced the header
    # the control: the same header sent straight to the page from 127.0.0.1 (a trusted proxy
    # address) is believed, so the check above is the server block's doing
    control, _ = users.add("technician")
    with httpx.Client(base_url=app_server.url, headers={"X-Forwarded-For": FORGED}) as direct:
        form = direct.get("/login")
        direct.post("/login", data={"login": control, "password": "x", "csrf": csrf_of(form)})
    assert attempts(app_server, control) == [FORGED]
