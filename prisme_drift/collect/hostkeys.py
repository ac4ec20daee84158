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
from pathlib import Path

import paramiko

from prisme_drift.errors import CollectError

KNOWN_HOSTS = "known_hosts"
_LOCK = threading.Lock()


def host_entry(hostname: str, port: int) -> str:
    """The known_hosts name for an address and port, as OpenSSH and paramiko write it."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint of a key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def probe_host_key(hostname: str, port: int, timeout: float) -> paramiko.PKey:
    """The server's host key, from a key exchange alone (no authentication is attempted)."""
    try:
        sock = socket.create_connection((hostname, port), timeout=timeout)
    except OSError as exc:
        raise CollectError(
            f"cannot connect to {hostname}:{port}: {exc}", kind="unreachable"
        ) from exc
    transport = paramiko.Transport(sock)
    try:
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

    def forget(self, hostname: str, port: int) -> bool:
        """Remove a device's key (after a verified replacement); True if one was removed."""
        with _LOCK:
            keys = self._load()
            entry = host_entry(hostname, port)
            if entry not in keys:
                return False
            del keys[entry]
            self._save(keys)
        return True

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
