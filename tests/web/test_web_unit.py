"""systemd/prisme-drift-web.service: systemd accepts it as it is, it is at least as hardened as
the daemon's unit, it listens on loopback only and gets the database password as a credential,
and the server it starts works under MemoryDenyWriteExecute (the kernel's PR_SET_MDWE)."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fleet.conftest import Central
from tests.web.conftest import Clients, Users, csrf_of, log_in

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "prisme-drift-web.service"
INSTALLED = "/opt/prisme-drift/venv/bin/prisme-drift"
# the daemon's unit measures 1.1 ("OK") with systemd 252: the web page must not do worse
DAEMON_EXPOSURE = 1.1

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)


def settings(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit (continuation lines joined), values per key in order."""
    found: dict[str, list[str]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(" ".join(value.split()))
    return found


def local_copy(folder: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointing at this virtualenv's prisme-drift: systemd-analyze
    verify refuses a command that does not exist, and /opt/prisme-drift is not installed here."""
    command = Path(sys.executable).parent / "prisme-drift"
    assert command.exists(), command
    copy = folder / UNIT.name
    copy.write_text((text or UNIT.read_text()).replace(INSTALLED, str(command)))
    return copy


def analyze(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_unit_serves_loopback_only_with_the_password_as_a_credential() -> None:
    unit = settings(UNIT.read_text())
    (command,) = unit["ExecStart"]
    assert command.startswith(f"{INSTALLED} web serve ")
    assert re.search(r"--listen 127\.0\.0\.1:\d+( |$)", command)
    assert "--password-file %d/db-password" in command  # %d: $CREDENTIALS_DIRECTORY
    assert unit["LoadCredential"] == ["db-password:/etc/prisme-drift/web/db-password"]
    environment = " ".join(unit.get("Environment", []))
    assert "password" not in environment.lower()
    # git reads the git server's repositories (another user's) for this process only
    assert "GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*" in environment
    hardening = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "IPAddressDeny": "any",
        "CapabilityBoundingSet": "",
    }
    assert {key: unit[key][-1] for key in hardening} == hardening
    assert unit["User"] == ["prisme-web"]


@needs_systemd
def test_systemd_accepts_the_unit_and_rejects_a_misspelt_one(tmp_path: Path) -> None:
    clean = analyze("verify", local_copy(tmp_path))
    assert (clean.returncode, clean.stdout + clean.stderr) == (0, "")
    misspelt = tmp_path / "misspelt"
    misspelt.mkdir()
    text = UNIT.read_text().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes")
    bad = analyze("verify", local_copy(misspelt, text))
    assert "Unknown key 'NoNewPrivilege'" in bad.stderr  # the check above can fail


@needs_systemd
def test_the_unit_is_at_least_as_hardened_as_the_daemons(tmp_path: Path) -> None:
    result = analyze("security", "--offline=true", local_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert level is not None, result.stdout[-500:]
    assert float(level.group(1)) <= DAEMON_EXPOSURE, result.stdout


# --------------------------------------------------------------------------- MemoryDenyWriteExecute

PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1
#: Sets the kernel's W^X refusal (what MemoryDenyWriteExecute=yes does) on this process, before
#: anything else is imported, then runs the command line: every library the server loads later
#: (uvicorn, argon2, psycopg, jinja2...) runs under it.
UNDER_MDWE = """\
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl({set}, {flag}, 0, 0, 0) != 0 or libc.prctl({get}, 0, 0, 0, 0) != {flag}:
    sys.exit("PR_SET_MDWE refused: errno %d" % ctypes.get_errno())
{then}
""".replace("{set}", str(PR_SET_MDWE)).replace("{get}", str(PR_GET_MDWE))
UNDER_MDWE = UNDER_MDWE.replace("{flag}", str(PR_MDWE_REFUSE_EXEC_GAIN))


def under_mdwe(then: str, *args: str) -> list[str]:
    """A command line running the Python statement ``then`` with ``args`` under PR_SET_MDWE."""
    return [sys.executable, "-c", UNDER_MDWE.replace("{then}", then), *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=2) as client:  # one client: each new one loads the system's CAs
        while time.monotonic() < deadline and server.poll() is None:
            try:
                client.get(url)
                return
            except httpx.TransportError:
                time.sleep(0.1)
    server.kill()
    _, errors = server.communicate()
    pytest.fail(f"web serve did not answer on {url}: {errors}")


def test_passwords_are_hashed_with_argon2id_at_the_recommended_cost() -> None:
    """The product's hasher, in a fresh interpreter (the other web tests hash at the lowest
    cost: tests/web/conftest.py::cheap_password_hashes): argon2id with the library's
    recommended parameters (RFC 9106's second choice: 64 MiB, 3 passes, 4 lanes), salted."""
    code = (
        "from prisme_drift.web.auth import hash_password, verify_password\n"
        "a, b = hash_password('s3cret'), hash_password('s3cret')\n"
        "print(a); print(a != b, verify_password(a, 's3cret'), verify_password(a, 'other'))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert shown[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$"), shown[0]
    assert shown[1] == "True True False"


def test_the_kernel_refuses_writable_executable_memory_under_mdwe() -> None:
    """The control: under PR_SET_MDWE a W+X mapping is refused, so the test below can fail."""
    wx = "import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)"
    done = subprocess.run(under_mdwe(wx), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "PermissionError" in done.stderr, done.stderr


@pytest.mark.postgres
def test_web_serve_works_under_memory_deny_write_execute(
    central: Central, users: Users, clients: Clients
) -> None:
    """``web serve`` as the unit runs it, under the kernel's W^X refusal: a client logs in
    (argon2id), reads the overview (PostgreSQL, Jinja2), logs out, and SIGTERM (systemctl
    stop) ends the server cleanly: uvicorn shuts down, then re-raises the signal, which systemd
    counts as a successful stop (SuccessExitStatus's default)."""
    login, password = users.add("client", clients.a)
    port = free_port()
    command = under_mdwe(
        "from prisme_drift.cli import main; sys.argv[0] = 'prisme-drift'; main()",
        "web", "serve", "--url", central.url, "--listen", f"127.0.0.1:{port}",
        "--insecure-cookies",
    )  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", server)
        with httpx.Client(base_url=base, timeout=30) as client:
            assert log_in(client, login, password).status_code == 303
            overview = client.get("/")
            assert overview.status_code == 200
            assert all(f'data-site="{site}"' in overview.text for site in clients.a_sites)
            assert client.post("/logout", data={"csrf": csrf_of(overview)}).status_code == 303
    finally:
        server.send_signal(signal.SIGTERM)
        output, errors = server.communicate(timeout=60)
    assert server.returncode in (0, -signal.SIGTERM), errors
    assert "Traceback" not in errors, errors
    assert f"web page on {base}/" in output
    assert "PR_SET_MDWE refused" not in errors and password not in output + errors
