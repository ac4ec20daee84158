"""Immutable values passed between the pipeline stages."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from prisme_drift.timefmt import iso


class Category(StrEnum):
    """The words of the policy's rule 4: every changed line gets exactly one."""

    INTERFACE = "interface"
    VLAN = "vlan"
    ACL = "acl"
    ROUTING = "routing"
    NAT = "nat"
    FIREWALL = "firewall"
    WIFI = "wifi"
    ADDRESSING = "addressing"
    MANAGEMENT = "management"
    DEVICE = "device"
    OTHER = "other"


class DeviceStatus(StrEnum):
    """Outcome of one device in one poll."""

    OK = "ok"  # first good fetch: baseline set
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    FAILED = "failed"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class DeviceRef:
    """What verdicts need to know of a device: its name, groups and manufacturer perimeter.

    Built from the inventory (``inventory.device_refs``), read by the ticket verdicts.
    """

    name: str
    groups: tuple[str, ...] = ()
    restricted: str | None = None  # the manufacturer holding maintenance rights


@dataclass(frozen=True)
class Fetch:
    """What collection brought back from one device (raw, not yet redacted)."""

    device: str
    platform: str
    config: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    error_kind: str | None = None
    error: str | None = None
    attempts: int = 1
    duration_s: float = 0.0
    hostname: str = ""
    port: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None and self.config is not None


@dataclass(frozen=True)
class GuardResult:
    """The fetch guard's decision: ``reason`` is None when the fetch may be trusted."""

    reason: str | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Snapshot:
    """A normalized, redacted device state: what the baseline stores."""

    device: str
    platform: str
    config: str
    facts: dict[str, Any] = field(default_factory=dict)
    # canonical JSON of the structured state (prisme_drift.state); None: not collected this time
    state: str | None = None

    def facts_json(self) -> str:
        """Stable JSON text of the facts (sorted keys, trailing newline) for git."""
        return json.dumps(self.facts, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Hunk:
    """One group of changed lines sharing a place in the configuration and a category."""

    category: Category
    path: tuple[str, ...]
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    def fingerprint(self, device: str) -> str:
        """Identity of the hunk across polls: the same change on the same device, same id."""
        payload = json.dumps(
            [device, str(self.category), list(self.path), sorted(self.removed), sorted(self.added)],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def lines(self) -> list[str]:
        """The changed lines, ``- `` / ``+ `` prefixed, removals first."""
        return [f"- {line}" for line in self.removed] + [f"+ {line}" for line in self.added]

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": str(self.category),
            "path": list(self.path),
            "removed": list(self.removed),
            "added": list(self.added),
        }


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's line in a poll report."""

    name: str
    status: DeviceStatus
    error_kind: str | None = None
    error: str | None = None
    hunks: tuple[Hunk, ...] = ()
    # structured state changes (prisme_drift.state.StateChange as JSON values)
    state_changes: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class DriftView:
    """A drift item as shown to people and JSON consumers."""

    id: int
    site: str
    device: str
    category: str
    verdict: str
    reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    appeared_after: datetime | None
    path: tuple[str, ...]
    removed: tuple[str, ...]
    added: tuple[str, ...]
    remediation: tuple[str, ...] = ()
    accepted_by: str | None = None
    accept_reason: str | None = None

    def lines(self) -> list[str]:
        return [f"- {line}" for line in self.removed] + [f"+ {line}" for line in self.added]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site": self.site,
            "device": self.device,
            "category": self.category,
            "verdict": self.verdict,
            "reason": self.reason,
            "opened_at": iso(self.opened_at),
            "closed_at": iso(self.closed_at),
            "close_reason": self.close_reason,
            "appeared_after": iso(self.appeared_after),
            "path": list(self.path),
            "lines": self.lines(),
            "removed": list(self.removed),
            "added": list(self.added),
            "remediation": list(self.remediation),
            "accepted_by": self.accepted_by,
            "accept_reason": self.accept_reason,
        }


@dataclass(frozen=True)
class PollReport:
    """What one poll did, for the CLI summary and ``run --json``."""

    site: str
    started_at: datetime
    finished_at: datetime
    devices: tuple[DeviceOutcome, ...]
    drift: tuple[DriftView, ...]
    opened: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    commit: str | None = None
    poll_id: int | None = None
    warnings: tuple[str, ...] = ()  # refused tickets: they authorize nothing
    removed: tuple[str, ...] = ()  # devices this poll found gone from the inventory

    @property
    def exit_code(self) -> int:
        """0 clean, 3 open unauthorized drift, 4 a device failed or was quarantined."""
        if any(item.verdict == "unauthorized" for item in self.drift):
            return 3
        if any(d.status in (DeviceStatus.FAILED, DeviceStatus.QUARANTINED) for d in self.devices):
            return 4
        return 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "devices": [
                {
                    "name": d.name,
                    "status": str(d.status),
                    "error_kind": d.error_kind,
                    "error": d.error,
                    "state_changes": list(d.state_changes),
                }
                for d in self.devices
            ],
            "drift": [item.as_dict() for item in self.drift],
            "opened": list(self.opened),
            "closed": list(self.closed),
            "commit": self.commit,
            "poll_id": self.poll_id,
            "warnings": list(self.warnings),
            "removed": list(self.removed),
        }
