"""SSH host keys: trust on first use, stored in the state folder; a changed key blocks the device.

Netmiko and NAPALM accept any host key by default (``ssh_strict=False``), which makes a
man-in-the-middle invisible. We learn a device's key once, then connect strictly against it.
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

import paramiko

from prisme_drift.errors import CollectError
from prisme_drift.statefiles import KNOWN_HOSTS

_LOCK = threading.Lock()


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

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.exists():
            keys.load(str(self.path))
        return keys

    def known(self, hostname: str, port: int) -> bool:
        """Whether a key is on file for this address and port."""
        return host_entry(hostname, port) in self._load()

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
        with _LOCK:
            keys = self._load()
            keys.add(host_entry(hostname, port), key.get_name(), key)
            self._save(keys)
        return f"host key learned on first use: {key.get_name()} {fingerprint(key)}"

    def pinned(self, hostname: str, port: int) -> dict[str, paramiko.PKey]:
        """The keys on file for this address and port, by key type ({} when none)."""
        found = self._load().lookup(host_entry(hostname, port))
        return dict(found) if found else {}

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
        with _LOCK:
            keys = self._load()
            if entry in keys:
                del keys[entry]
            keys.add(entry, key.get_name(), key)
            self._save(keys)

    def netmiko_args(self) -> dict[str, object]:
        """Netmiko options that make the connection reject any key not on file."""
        if self.policy == "ignore":
            return {"ssh_strict": False}
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
