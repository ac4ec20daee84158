"""Inventory problems through the command line: an empty site, bad values, mistyped keys.

Each is a configuration error (exit 2) found before any device is contacted: a TCP listener
stands in for a device and must never see a connection.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parents[1]


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(config), *args, cwd=ROOT)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A fresh site folder as ``init`` writes it (every inventory entry commented out)."""
    folder = tmp_path / "cabinet"
    done = run_cli("init", str(folder), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port that counts as a device: the test asserts nobody connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def daemon_records(folder: Path) -> int:
    db = sqlite3.connect(folder / "state" / "prisme-drift.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM daemon_state").fetchone()[0])
    finally:
        db.close()


def polls(folder: Path) -> int:
    db = sqlite3.connect(folder / "state" / "prisme-drift.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM polls").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("command", [["run"], ["run", "--json"], ["check"], ["daemon"]])
def test_an_empty_inventory_is_a_configuration_error(site: Path, command: list[str]) -> None:
    hosts = site / "inventory" / "hosts.yaml"
    result = cli(site / "prisme-drift.toml", *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{hosts}: no device defined" in result.stderr
    assert "hostname: 192.0.2.10, platform: ios" in result.stderr  # what to add
    assert polls(site) == 0  # no empty poll recorded, so no heartbeat either
    assert daemon_records(site) == 0  # the daemon never started


def test_bad_values_and_mistyped_keys_are_all_reported_before_any_contact(
    site: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    inventory = site / "inventory"
    (inventory / "hosts.yaml").write_text(
        f"sw-good:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: ios\n"
        "sw-abc:\n  hostname: 127.0.0.1\n  port: abc\n  platform: ios\n"
        "sw-big:\n  hostname: 127.0.0.1\n  port: 99999\n  platform: ios\n"
        "sw-typo:\n  hostname: 127.0.0.1\n  prot: 2222\n  platform: ios\n"
        "  groups: [switches]\n  password: 123456\n"
        "  connection_options:\n    netmiko:\n      extras: {}\n      hostnme: 10.0.0.9\n"
    )
    (inventory / "groups.yaml").write_text("switches:\n  usernme: admin\n  data: [1, 2]\n")
    (inventory / "defaults.yaml").write_text("port: '22'\n")
    for command in ("run", "check"):
        result = cli(site / "prisme-drift.toml", command)
        assert result.returncode == 2, result.stdout + result.stderr
        err = result.stderr
        assert "Traceback" not in err
        hosts = f"{inventory / 'hosts.yaml'}: host"
        expected = [
            f"{hosts} 'sw-abc': [port] must be a whole number from 1 to 65535",
            "(got 'abc')",
            f"{hosts} 'sw-big': [port] must be a whole number from 1 to 65535",
            "(got 99999)",
            f"{hosts} 'sw-typo': unknown key 'prot' (typo? did you mean 'port'?)",
            f"{hosts} 'sw-typo': [password] must be text; quote it",
            f"{hosts} 'sw-typo': [connection_options.netmiko] unknown key 'hostnme' "
            "(typo? did you mean 'hostname'?)",
            f"{inventory / 'groups.yaml'}: group 'switches': unknown key 'usernme' "
            "(typo? did you mean 'username'?)",
            f"{inventory / 'groups.yaml'}: group 'switches': [data] must be a mapping",
            f"{inventory / 'defaults.yaml'}: [port] must be a whole number",
        ]
        for text in expected:
            assert text in err, text
        assert "123456" not in err  # a password is never quoted back
        assert not connected(listener)
        assert polls(site) == 0
        assert not (site / "state" / "known_hosts").exists()
