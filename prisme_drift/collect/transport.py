"""Byte-exact decoding of device output.

Netmiko decodes each SSH read chunk on its own with ``errors="ignore"``: a UTF-8 character split
across two reads vanishes, and a description with an accent becomes a spurious change. We give
each channel an incremental decoder instead (invalid bytes become U+FFFD, visibly).

A read on a closed channel also fails at once, so that the watchdog that enforces the per-device
time limit (it shuts the socket down) really stops a session stuck waiting for a prompt.
"""

from __future__ import annotations

import codecs
from typing import Any

from netmiko.channel import SSHChannel
from netmiko.exceptions import ReadException
from netmiko.netmiko_globals import MAX_BUFFER

_PATCHED = "_prisme_drift_patched"


def _read_buffer(self: Any) -> str:
    """Single read of available data, decoded incrementally (replaces SSHChannel.read_buffer)."""
    if self.remote_conn is None:
        raise ReadException("Attempt to read, but there is no active channel.")
    decoder = self.__dict__.get("_prisme_decoder")
    if decoder is None:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        self._prisme_decoder = decoder
    if self.remote_conn.closed and not self.remote_conn.recv_ready():
        # Netmiko polls recv_ready() until its own timeouts run out; a channel our watchdog
        # closed must fail the read at once instead.
        raise ReadException("Channel closed (device time limit reached or connection lost).")
    if not self.remote_conn.recv_ready():
        return ""
    chunk = self.remote_conn.recv(MAX_BUFFER)
    if len(chunk) == 0:
        raise ReadException("Channel stream closed by remote device.")
    return str(decoder.decode(chunk))


def install_exact_decoding() -> None:
    """Patch Netmiko's SSH channel once per process (idempotent)."""
    if getattr(SSHChannel, _PATCHED, False):
        return
    SSHChannel.read_buffer = _read_buffer  # type: ignore[method-assign]
    setattr(SSHChannel, _PATCHED, True)
