"""SSH host keys: trust on first use, stored in the state folder; a changed key blocks the device.

Netmiko and NAPALM accept any host key by default (``ssh_strict=False``), which makes a
man-in-the-middle invisible. We learn a device's key once, then connect strictly against it.

The known_hosts file is parsed once per version of the file (its inode, size and modification
time), not once per device: every device of a poll looks its keys up in memory, and the strict
connection (Netmiko's paramiko client) gets that device's pinned keys from memory too
(``install_memory_host_keys``). Parsing the whole file per device made a poll quadratic in the
number of devices.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from netmiko.base_connection import BaseConnection

from prisme_drift.errors import CollectError
from prisme_drift.statefiles import KNOWN_HOSTS

_LOCK = threading.Lock()
_SAVING = threading.Lock()  # one writer of known_hosts at a time (read, add, replace)
#: Parsed known_hosts files: path -> (stat signature, keys). Read-only once cached: a change
#: builds new keys and replaces the entry (lookups in other threads never see them mutate).
_PARSED: dict[Path, tuple[tuple[int, int, int], ParsedKeys]] = {}
_MEMORY_PATCHED = "_prisme_drift_memory_host_keys"


class ParsedKeys:
    """A parsed known_hosts file with an index by host entry (a lookup is a dict access)."""

    def __init__(self, keys: paramiko.HostKeys) -> None:
        self.keys = keys
        self._index: dict[str, dict[str, paramiko.PKey]] = {}
        self._hashed = False
        for line in keys._entries:
            for name in line.hostnames:
                self._hashed = self._hashed or name.startswith("|1|")
                self._index.setdefault(name, {})[line.key.get_name()] = line.key

    def lookup(self, entry: str) -> dict[str, paramiko.PKey]:
        """The keys on file for a host entry, by key type ({} when none)."""
        found = self._index.get(entry)
        if found is None and self._hashed:  # hashed names need paramiko's HMAC comparison
            hashed = self.keys.lookup(entry)
            return dict(hashed) if hashed else {}
        return dict(found or {})

    def copy(self) -> paramiko.HostKeys:
        """A private copy of the keys, to change and save."""
        fresh = paramiko.HostKeys()
        for line in self.keys._entries:
            for name in line.hostnames:
                fresh.add(name, line.key.get_name(), line.key)
        return fresh


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def parsed_host_keys(path: Path) -> ParsedKeys:
    """The keys of a known_hosts file, parsed again only when the file changed."""
    signature = _signature(path)
    if signature is None:
        return ParsedKeys(paramiko.HostKeys())
    with _LOCK:
        cached = _PARSED.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        keys = paramiko.HostKeys()
        keys.load(str(path))
        parsed = ParsedKeys(keys)
        _PARSED[path] = (signature, parsed)
        return parsed


def _build_ssh_client(self: Any) -> paramiko.SSHClient:
    """Netmiko's ``_build_ssh_client``, with the device's pinned keys taken from memory.

    Same result as ``load_host_keys(alt_key_file)`` restricted to the device's own entry: the
    connection still rejects (before any login) a key other than the pinned one.
    """
    client: paramiko.SSHClient = self._get_ssh_client_instance()
    if self.system_host_keys:
        client.load_system_host_keys()
    if self.alt_host_keys and self.alt_key_file:
        entry = host_entry(self.host, int(self.port))
        found = parsed_host_keys(Path(self.alt_key_file)).lookup(entry)
        for key_type, key in found.items():
            client.get_host_keys().add(entry, key_type, key)
    client.set_missing_host_key_policy(self.key_policy)
    return client


def install_memory_host_keys() -> None:
    """Patch Netmiko's SSH client set-up once per process (idempotent)."""
    if getattr(BaseConnection, _MEMORY_PATCHED, False):
        return
    BaseConnection._build_ssh_client = _build_ssh_client  # type: ignore[method-assign]
    setattr(BaseConnection, _MEMORY_PATCHED, True)


def host_entry(hostname: str, port: int) -> str:
    """The known_hosts name for an address and port, as OpenSSH and paramiko write it."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint of a key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def describe_key(key: paramiko.PKey) -> str:
    """``ssh-ed25519 SHA256:...``: the key type and fingerprint, as OpenSSH prints them."""
    return f"{key.get_name()} {fingerprint(key)}"


def same_fingerprint(key: paramiko.PKey, text: str) -> bool:
    """Whether ``text`` (``SHA256:...`` or the base64 alone) is this key's fingerprint."""
    given = text.strip().removeprefix("SHA256:").rstrip("=")
    return given == fingerprint(key).removeprefix("SHA256:")


def probe_host_key(
    hostname: str, port: int, timeout: float, prefer: Sequence[str] = ()
) -> paramiko.PKey:
    """The server's host key, from a key exchange alone (no authentication is attempted).

    ``prefer``: key types asked for first (those pinned), as paramiko's SSHClient does, so a
    device offering several keys shows the one a strict connection would check.
    """
    try:
        sock = socket.create_connection((hostname, port), timeout=timeout)
    except OSError as exc:
        raise CollectError(
            f"cannot connect to {hostname}:{port}: {exc}", kind="unreachable"
        ) from exc
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        wanted = [t for t in prefer if t in options.key_types]
        options.key_types = wanted + [t for t in options.key_types if t not in wanted]
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise CollectError(
            f"SSH handshake with {hostname}:{port} failed: {exc}", kind="unreachable"
        ) from exc
    finally:
        transport.close()
        sock.close()


@dataclass(frozen=True)
class KeyChange:
    """A device presents a host key other than the one pinned for its address."""

    entry: str
    pinned: tuple[str, ...]
    presented: str
    key: paramiko.PKey = field(repr=False, compare=False)

    def message(self, device: str) -> str:
        """What a technician reads: both fingerprints and the command that accepts the new key."""
        return (
            f"the SSH host key of {device} ({self.entry}) changed: pinned "
            f"{', '.join(self.pinned)}, the device now presents {self.presented}; it is not "
            "polled until the new key is accepted. Check on site that the device was replaced, "
            f"reset or re-keyed, then run: prisme-drift hostkey accept {device}"
        )


class KnownHosts:
    """The state folder's known_hosts file, shared by every device of a site."""

    def __init__(self, state_dir: Path, policy: str = "tofu") -> None:
        self.path = state_dir / KNOWN_HOSTS
        self.policy = policy

    def _edit(self) -> paramiko.HostKeys:
        """A private copy of the keys on file, to change then ``_save`` (under ``_SAVING``)."""
        return parsed_host_keys(self.path).copy()

    def known(self, hostname: str, port: int) -> bool:
        """Whether a key is on file for this address and port."""
        return bool(parsed_host_keys(self.path).lookup(host_entry(hostname, port)))

    def ensure(self, hostname: str, port: int, timeout: float) -> str | None:
        """Make sure a key is on file before a strict connection; returns a note when learned."""
        if self.policy == "ignore" or self.known(hostname, port):
            return None
        if self.policy == "strict":
            raise CollectError(
                f"no host key on file for {host_entry(hostname, port)} and host_key_policy is "
                f"'strict'; add it to {self.path} (ssh-keyscan -p {port} {hostname})",
                kind="hostkey",
            )
        key = probe_host_key(hostname, port, timeout)
        with _SAVING:
            keys = self._edit()
            keys.add(host_entry(hostname, port), key.get_name(), key)
            self._save(keys)
        return f"host key learned on first use: {key.get_name()} {fingerprint(key)}"

    def pinned(self, hostname: str, port: int) -> dict[str, paramiko.PKey]:
        """The keys on file for this address and port, by key type ({} when none)."""
        return parsed_host_keys(self.path).lookup(host_entry(hostname, port))

    def compare(self, hostname: str, port: int, timeout: float) -> KeyChange | None:
        """Probe the device's key (key exchange only) and compare it with the pinned one.

        None when no key is pinned or the device presents it; CollectError when unreachable.
        """
        pinned = self.pinned(hostname, port)
        if not pinned:
            return None
        key = probe_host_key(hostname, port, timeout, prefer=list(pinned))
        known = pinned.get(key.get_name())
        if known is not None and known.asbytes() == key.asbytes():
            return None
        return KeyChange(
            host_entry(hostname, port),
            tuple(describe_key(k) for k in pinned.values()),
            describe_key(key),
            key,
        )

    def explain_failure(
        self, device: str, hostname: str, port: int, timeout: float
    ) -> CollectError | None:
        """After a failed strict connection: the clear error when the pinned key changed."""
        try:
            change = self.compare(hostname, port, timeout)
        except CollectError:
            return None
        return CollectError(change.message(device), kind="hostkey") if change else None

    def replace(self, hostname: str, port: int, key: paramiko.PKey) -> None:
        """Pin ``key`` for this address, dropping every key on file for it (an accepted change)."""
        entry = host_entry(hostname, port)
        with _SAVING:
            keys = self._edit()
            if entry in keys:
                del keys[entry]
            keys.add(entry, key.get_name(), key)
            self._save(keys)

    def netmiko_args(self) -> dict[str, object]:
        """Netmiko options that make the connection reject any key not on file."""
        if self.policy == "ignore":
            return {"ssh_strict": False}
        install_memory_host_keys()
        return {
            "ssh_strict": True,
            "system_host_keys": False,
            "alt_host_keys": True,
            "alt_key_file": str(self.path),
        }

    def _save(self, keys: paramiko.HostKeys) -> None:
        """Atomic replace: other workers read the file while one device's key is added."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # 0600 from birth
        try:
            keys.save(str(tmp))
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        signature = _signature(self.path)
        if signature is not None:
            with _LOCK:
                _PARSED[self.path] = (signature, ParsedKeys(keys))  # just written: no parse
