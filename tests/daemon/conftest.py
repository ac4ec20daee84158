"""Helpers to run ``prisme-drift daemon`` as a subprocess and watch it like systemd would."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LabSite

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


class NotifyListener:
    """A systemd stand-in: an AF_UNIX datagram socket collecting sd_notify messages."""

    def __init__(self, path: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path is None:
            self.name = f"@prisme-test-{uuid.uuid4().hex[:12]}"
            self.sock.bind("\0" + self.name[1:])
        else:
            self.name = str(path)
            self.sock.bind(self.name)
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closed:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.messages.append((time.monotonic(), fields))

    def with_key(self, key: str) -> list[tuple[float, dict[str, str]]]:
        with self._lock:
            return [(t, m) for t, m in self.messages if key in m]

    def wait_for(self, key: str, timeout: float = 30) -> dict[str, str]:
        found: list[tuple[float, dict[str, str]]] = wait_until(
            lambda: self.with_key(key), timeout, f"{key} on the notify socket"
        )
        return found[-1][1]

    def close(self) -> None:
        self._closed = True
        self.sock.close()


class DaemonProcess:
    """``python -m prisme_drift -c SITE daemon`` with its output in a log file."""

    def __init__(self, site: LabSite, notify: NotifyListener | None, log: Path) -> None:
        self.site = site
        self.notify = notify
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *options: str, **env: str) -> DaemonProcess:
        """Start ``prisme-drift [options] -c SITE daemon`` (options: ``-vv``...)."""
        environ = {
            k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")
        }
        if self.notify is not None:
            environ["NOTIFY_SOCKET"] = self.notify.name
        environ.update(env)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prisme_drift",
                    *options,
                    "-c",
                    str(self.site.config_file),
                    "daemon",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environ,
                cwd=ROOT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        wait_until(lambda: text in self.output(), timeout, f"{text!r} in the daemon log")

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, float]:
        """Send ``sig`` and wait; (exit code, seconds it took)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)


def set_poll_every(site: LabSite, value: str) -> None:
    """Rewrite ``[schedule] poll_every`` in the site's settings file."""
    lines = site.config_file.read_text().splitlines()
    out = [f'poll_every = "{value}"' if line.startswith("poll_every") else line for line in lines]
    site.config_file.write_text("\n".join(out) + "\n")


def db_file(site: LabSite) -> Path:
    return site.folder / "state" / "prisme-drift.sqlite"


def query(site: LabSite, sql: str) -> list[tuple[Any, ...]]:
    """A read-only query on the site's SQLite database ([] before it exists)."""
    path = db_file(site)
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def finished_polls(site: LabSite) -> int:
    rows = query(site, "SELECT count(*) FROM polls WHERE finished_at IS NOT NULL")
    return int(rows[0][0]) if rows else 0


def git(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "--git-dir", str(site.settings.baseline_path), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def commits(site: LabSite, branch: str = "observed") -> int:
    out = git(site, "rev-list", "--count", branch).stdout.strip()
    return int(out or 0)


def job_states(site: LabSite) -> dict[str, Any]:
    """The daemon's record in the site's database: ``{"daemon": {...}, "jobs": {id: {...}}}``
    ({} before the daemon has written one)."""
    path = db_file(site)
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        daemon = [dict(row) for row in conn.execute("SELECT * FROM daemon_state")]
        jobs = {row["job_id"]: dict(row) for row in conn.execute("SELECT * FROM job_states")}
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()
    return {"daemon": daemon[0], "jobs": jobs} if daemon else {}


def git_processes_under(folder: Path) -> list[str]:
    """``git`` processes working anywhere under ``folder`` (by working folder or arguments)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "git":
                continue
            cwd = str((proc / "cwd").resolve())
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def git_leftovers(site: LabSite) -> list[str]:
    base = site.settings.baseline_path
    found = [p for p in ("index.lock", "packed-refs.lock", "HEAD.lock") if (base / p).exists()]
    found += [str(p) for p in (base / "refs").rglob("*.lock")]
    found += [str(p) for p in base.glob("prisme-index.*")]
    found += [str(p) for p in base.glob("prisme-blobs.*")]
    return found


@pytest.fixture
def notify() -> Iterator[NotifyListener]:
    listener = NotifyListener()
    yield listener
    listener.close()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Factory of daemon processes; any still running at the end is killed."""
    started: list[DaemonProcess] = []

    def factory(site: LabSite, notify: NotifyListener | None = None) -> DaemonProcess:
        d = DaemonProcess(site, notify, tmp_path / f"daemon-{len(started)}.log")
        started.append(d)
        return d

    yield factory
    for d in started:
        if d.alive():
            d.kill9()
