"""``prisme-drift check``: can the site be polled? Settings, inventory, then every device.

Per device, read-only: a TCP connection, the SSH host key against the pinned one (an unknown key
is shown, never saved: the first poll learns it under the ``tofu`` policy; a changed one is shown
with both fingerprints and the command that accepts it), a check that a username and password
are configured, an SSH login with them and the device's prompt. Netmiko's session preparation sends
``terminal length 0`` / ``terminal width`` (exec-mode paging settings of this session only);
no configuration command is ever sent. Every device is bounded by ``[collect] timeout``.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from nornir.core.inventory import Host

from prisme_drift.collect.credentials import CredentialSource, missing_login
from prisme_drift.collect.hostkeys import KnownHosts, fingerprint, host_entry, probe_host_key
from prisme_drift.collect.placeholders import example_address
from prisme_drift.collect.runner import target_for
from prisme_drift.collect.session import Target, bounded_socket, close_session
from prisme_drift.config import Settings
from prisme_drift.errors import CollectError, ConfigError, InventoryError, ProfileError
from prisme_drift.inventory import build_nornir, load_credentials
from prisme_drift.profiles import get_profile

OK = "ok"


@dataclass(frozen=True)
class DeviceCheck:
    """One device's results; ``failed_at`` names the first step that failed (None: all ok)."""

    device: str
    address: str
    tcp: str
    hostkey: str
    login: str
    prompt: str
    failed_at: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.failed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "ok": self.ok}


def _tcp(target: Target, timeout: float) -> str:
    started = time.monotonic()
    try:
        sock = socket.create_connection((target.hostname, target.port), timeout=timeout)
    except OSError as exc:
        raise CollectError(
            f"TCP connection refused or timed out: {exc}", kind="unreachable"
        ) from exc
    sock.close()
    return f"ok ({(time.monotonic() - started) * 1000:.0f} ms)"


@contextlib.contextmanager
def _host_key_args(
    target: Target, known: KnownHosts, timeout: float
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what we know of the host key, Netmiko's key options); never writes ``known_hosts``."""
    if known.policy == "ignore":
        yield "not checked (policy ignore)", {"ssh_strict": False}
        return
    if known.known(target.hostname, target.port):
        change = known.compare(target.hostname, target.port, timeout)
        if change is not None:  # never a login against a key that is not the pinned one
            raise CollectError(change.message(target.name), kind="hostkey")
        yield "pinned, matches", known.netmiko_args()
        return
    if known.policy == "strict":
        raise CollectError(
            f"no pinned host key for {host_entry(target.hostname, target.port)} and "
            f"host_key_policy is 'strict'; add it to {known.path}",
            kind="hostkey",
        )
    key = probe_host_key(target.hostname, target.port, timeout)
    with tempfile.TemporaryDirectory(prefix="prisme-check.") as tmp:
        keys = paramiko.HostKeys()
        keys.add(host_entry(target.hostname, target.port), key.get_name(), key)
        path = Path(tmp) / "known_hosts"
        keys.save(str(path))
        args = {**known.netmiko_args(), "alt_key_file": str(path)}
        yield f"new {fingerprint(key)} (learned at the first poll)", args


def _login(target: Target, device_type: str, args: dict[str, Any], settings: Settings) -> str:
    """Log in over SSH and return the prompt."""
    from netmiko import ConnectHandler

    collect = settings.collect
    with bounded_socket(target, collect.timeout, collect.connect_timeout) as sock:
        conn = ConnectHandler(
            **target.netmiko_args,
            **args,
            conn_timeout=collect.connect_timeout,
            auth_timeout=collect.connect_timeout,
            banner_timeout=collect.connect_timeout,
            session_log=None,
            device_type=device_type,
            host=target.hostname,
            port=target.port,
            username=target.username or "",
            password=target.password or "",
            sock=sock,
        )
        try:
            return str(conn.find_prompt())
        finally:
            close_session(conn)


def check_host(host: Host, settings: Settings, credentials: Any) -> DeviceCheck:
    """Every step for one host; never raises."""
    target = target_for(host, credentials)
    address = f"{target.hostname}:{target.port}"
    steps = {"tcp": "", "hostkey": "", "login": "", "prompt": ""}
    step = "platform"
    try:
        profile = get_profile(str(host.platform))
        device_type = profile.collect.netmiko_device_type
        step = "tcp"
        steps["tcp"] = _tcp(target, settings.collect.connect_timeout)
        step = "hostkey"
        known = KnownHosts(settings.state_path, settings.collect.host_key_policy)
        with _host_key_args(target, known, settings.collect.connect_timeout) as (seen, args):
            steps["hostkey"] = seen
            step = "login"
            missing = missing_login(host, target, CredentialSource.from_settings(settings))
            if missing is not None:
                raise missing
            if device_type is None:
                steps["login"] = "not checked (the profile names no Netmiko device type)"
                return DeviceCheck(host.name, address, **steps)
            steps["prompt"] = _login(target, device_type, args, settings)
            steps["login"] = OK
    except Exception as exc:  # every failure is a result row, never a crash of the command
        kind = getattr(exc, "kind", "platform" if isinstance(exc, ProfileError) else "error")
        steps[step if step in steps else "tcp"] = f"failed ({kind})"
        detail = str(exc) if isinstance(exc, CollectError | ProfileError) else repr(exc)
        return DeviceCheck(host.name, address, **steps, failed_at=step, detail=detail)
    return DeviceCheck(host.name, address, **steps)


def check_site(settings: Settings) -> list[DeviceCheck]:
    """Every inventory device, in parallel (``[collect] workers``), sorted by name.

    Raises ConfigError / InventoryError when the inventory or credentials are invalid, or
    when a device's address is a documentation example (listing everything left to fill in).
    """
    nornir = build_nornir(settings)
    hosts = [nornir.inventory.hosts[name] for name in sorted(nornir.inventory.hosts)]
    examples = [(h, why) for h in hosts if (why := example_address(str(h.hostname))) is not None]
    if examples:
        raise ConfigError(
            f"{settings.inventory_path}: the inventory still holds example addresses; "
            "fill in what follows, then run check again (no device was contacted)",
            problems=_to_fill(settings, hosts, examples),
        )
    credentials = load_credentials(settings.credentials_path)
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(settings.collect.workers, len(hosts))) as pool:
        return list(pool.map(lambda h: check_host(h, settings, credentials), hosts))


def _to_fill(settings: Settings, hosts: list[Host], examples: list[tuple[Host, str]]) -> list[str]:
    """Each example address, then each missing credential: what is left to fill in."""
    hosts_file = settings.inventory_path / "hosts.yaml"
    todo = [
        f"{hosts_file}: host '{h.name}': [hostname] {h.hostname} is {why}: "
        "put the device's real management address"
        for h, why in examples
    ]
    path = settings.credentials_path
    try:
        credentials = load_credentials(path)
    except InventoryError as exc:
        example = path.with_name(path.name + ".example") if path else None
        hint = f": copy {example} to {path} (mode 0600)" if example and example.exists() else ""
        return [*todo, f"{exc}{hint}"]
    source = CredentialSource.from_settings(settings)
    for host in hosts:
        missing = missing_login(host, target_for(host, credentials), source)
        if missing is not None:
            todo.append(str(missing).replace(", so no login was attempted", ""))
    return todo
