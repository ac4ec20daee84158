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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prisme_drift.errors import NormalizeError
from prisme_drift.normalize.framing import logical_lines
from prisme_drift.profiles import Profile
from prisme_drift.profiles.prefilter import any_of
from prisme_drift.profiles.rules import SecretBlock, SecretRule

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
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
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


def _marker_for(rule: SecretRule | SecretBlock, value: str, key: FingerprintKey) -> str:
    return RESALTED_MARKER if rule.resalted else key.mark(value)


def _redact_with(rule: SecretRule, line: str, key: FingerprintKey, profile: Profile) -> str:
    """Every match of one rule, replaced right to left so earlier spans stay valid."""
    spans: list[tuple[int, int, str]] = []
    for match in profile.pattern(rule.pattern).finditer(line):
        value = match.group("secret")
        if value is None or not value.strip('"') or value.strip('"').startswith("<secret:"):
            continue
        start, end = match.span("secret")
        spans.append((start, end, value))
    for start, end, value in reversed(spans):
        line = line[:start] + _marker_for(rule, value, key) + line[end:]
    return line


def _redact_line(line: str, ancestors: list[str], profile: Profile, key: FingerprintKey) -> str:
    for rule in profile.secrets:
        if rule.within is not None and not any(
            profile.pattern(rule.within).search(a) for a in ancestors
        ):
            continue
        line = _redact_with(rule, line, key, profile)
    return line


class _Ancestry:
    """The lines a line is nested under, by indentation (for ``within`` rules)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, line: str) -> list[str]:
        """Record ``line``; returns the lines it is nested under."""
        level = len(line) - len(line.lstrip())
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        ancestors = [text for _, text in self._stack]
        if line.strip():
            self._stack.append((level, line.strip()))
        return ancestors


def _block_start(line: str, profile: Profile) -> SecretBlock | None:
    """The secret block ``line`` opens, unless it also closes it on the same line."""
    for rule in profile.secret_blocks:
        match = profile.pattern(rule.begin).search(line)
        if match and not profile.pattern(rule.end).search(line[match.end() :]):
            return rule
    return None


def _candidates(patterns: Iterable[str], lines: list[str]) -> set[int] | None:
    """Indexes of the lines one of ``patterns`` may match; None: every line must be tried."""
    joined = any_of(patterns)
    return None if joined is None else set(joined.keep(lines))


def _walk(lines: list[str], profile: Profile, key: FingerprintKey) -> Iterator[str]:
    ancestry = _Ancestry() if any(rule.within for rule in profile.secrets) else None
    # lines no pattern can match (nearly all of them) are passed through untouched
    maybe_secret = _candidates((rule.pattern for rule in profile.secrets), lines)
    maybe_block = _candidates((rule.begin for rule in profile.secret_blocks), lines)
    block: SecretBlock | None = None
    body: list[str] = []
    for number, line in enumerate(lines):
        if block is not None:
            if profile.pattern(block.end).search(line):
                yield _block_marker(block, body, line, key)
                yield _redact_line(line, [], profile, key)
                block, body = None, []
            else:
                body.append(line)
            continue
        ancestors = ancestry.push(line) if ancestry is not None else []
        if maybe_secret is None or number in maybe_secret:
            yield _redact_line(line, ancestors, profile, key)
        else:
            yield line
        if maybe_block is None or number in maybe_block:
            block = _block_start(line, profile)
    if block is not None:
        # an unterminated block is still secret; keep one marker for it
        yield _block_marker(block, body, "", key)


def _redact_lines(lines: list[str], profile: Profile, key: FingerprintKey) -> list[str]:
    """Every line with its secrets replaced; a plain copy edited in place when the profile has
    no nested (``within``) rule and the text no secret block, else a walk through the lines."""
    if any(rule.within for rule in profile.secrets) or not profile.secrets:
        return list(_walk(lines, profile, key))
    blocks = _candidates((rule.begin for rule in profile.secret_blocks), lines)
    if blocks is None or blocks:
        return list(_walk(lines, profile, key))
    found = _candidates((rule.pattern for rule in profile.secrets), lines)
    out = list(lines)
    for number in range(len(lines)) if found is None else sorted(found):
        out[number] = _redact_line(lines[number], [], profile, key)
    return out


def redact(text: str, profile: Profile, key: FingerprintKey) -> str:
    """Replace line secrets and multi-line secret blocks; the result holds no secret value.

    The profile's framing steps run first (see ``framing``), so patterns see whole statements.
    """
    lines = logical_lines(text, profile)
    if lines and lines[-1] == "":
        lines.pop()
    out = _redact_lines(lines, profile, key)
    return "\n".join(out) + ("\n" if text.endswith(("\n", "\r")) else "")


def _block_marker(block: SecretBlock, body: list[str], end_line: str, key: FingerprintKey) -> str:
    indent = re.match(r"\s*", end_line)
    prefix = indent.group(0) if indent else ""
    content = [line.strip() for line in body if line.strip()]
    if len(content) == 1 and content[0].startswith("<secret:"):
        return prefix + content[0]  # already redacted: redaction is idempotent
    return prefix + _marker_for(block, "\n".join(content), key)
