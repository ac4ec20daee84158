"""Pass 1: replace every secret value by a keyed fingerprint.

The fingerprint is an HMAC-SHA256 of the value under a per-site key kept in the state folder, so a
changed secret is still a changed line (a drift item) while the value itself never leaves memory.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as _secrets
from dataclasses import dataclass
from pathlib import Path

from prisme_drift.errors import NormalizeError
from prisme_drift.profiles import Profile

RESALTED_MARKER = "<secret:resalted>"
KEY_FILE = "fingerprint.key"


@dataclass(frozen=True)
class FingerprintKey:
    """The per-site HMAC key. Never printed: its repr hides the value."""

    value: bytes

    def __repr__(self) -> str:
        return "FingerprintKey(<hidden>)"

    def mark(self, secret: str) -> str:
        """The marker that stands for ``secret`` in every stored or shown text."""
        digest = hmac.new(self.value, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"<secret:{digest[:16]}>"

    @classmethod
    def load_or_create(cls, state_dir: Path) -> FingerprintKey:
        """Read ``state/fingerprint.key``, creating it (0600) on first use."""
        path = state_dir / KEY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            state_dir.mkdir(parents=True, exist_ok=True)
            data = _secrets.token_bytes(32)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        if len(data) < 16:
            raise NormalizeError(
                f"{path} is shorter than 16 bytes; restore it from backup (changing it makes every "
                "secret look changed once)"
            )
        return cls(data)


def _redact_line(line: str, profile: Profile, key: FingerprintKey) -> str:
    for rule in profile.secrets:
        match = re.search(rule.pattern, line)
        if match is None or match.group("secret") is None:
            continue
        value = match.group("secret")
        if value.startswith("<secret:"):
            return line  # already redacted: redaction is idempotent
        marker = RESALTED_MARKER if rule.resalted else key.mark(value)
        start, end = match.span("secret")
        return line[:start] + marker + line[end:]
    return line


def redact(text: str, profile: Profile, key: FingerprintKey) -> str:
    """Replace line secrets and multi-line secret blocks; the result holds no secret value."""
    out: list[str] = []
    block_end: re.Pattern[str] | None = None
    block: list[str] = []
    for line in text.splitlines():
        if block_end is not None:
            if block_end.search(line):
                out.append(_block_marker(block, line, key))
                out.append(line)
                block_end, block = None, []
            else:
                block.append(line)
            continue
        for rule in profile.secret_blocks:
            if re.search(rule.begin, line):
                block_end = re.compile(rule.end)
                break
        out.append(_redact_line(line, profile, key))
    if block_end is not None:
        # an unterminated block is still secret; keep one marker for it
        out.append(_block_marker(block, "", key))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _block_marker(block: list[str], end_line: str, key: FingerprintKey) -> str:
    indent = re.match(r"\s*", end_line)
    prefix = indent.group(0) if indent else ""
    body = "\n".join(line.strip() for line in block)
    if len(block) == 1 and block[0].strip().startswith("<secret:"):
        return block[0]
    return f"{prefix} {key.mark(body)}" if prefix else key.mark(body)
