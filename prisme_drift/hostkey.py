"""``hostkey accept``: replace a device's pinned SSH host key, on purpose and on the record.

A changed host key blocks a device (replaced, reset, re-keyed... or intercepted). Nothing ever
accepts the new key by itself: a technician looks at both fingerprints, checks them on site,
and runs this command. The acceptance goes to the audit trail (who, when, old and new keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import paramiko

from prisme_drift.authorize.registry import AuditLog
from prisme_drift.collect.hostkeys import KnownHosts, describe_key, host_entry, probe_host_key
from prisme_drift.collect.runner import target_for
from prisme_drift.config import Settings
from prisme_drift.errors import RefusedError
from prisme_drift.inventory import build_nornir
from prisme_drift.sitelock import site_lock
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyReview:
    """What a device presents now, next to what is pinned for it."""

    device: str
    hostname: str
    port: int
    pinned: tuple[str, ...]
    presented: str
    key: paramiko.PKey = field(repr=False, compare=False)

    @property
    def entry(self) -> str:
        """The known_hosts name of the device's address."""
        return host_entry(self.hostname, self.port)

    @property
    def unchanged(self) -> bool:
        """The presented key is already the pinned one."""
        return self.pinned == (self.presented,)


def review_host_key(settings: Settings, device: str) -> KeyReview:
    """Fetch the key the device presents (a key exchange, no login) and the pinned ones.

    RefusedError when the device is not in the inventory; CollectError when it cannot be reached.
    """
    hosts = build_nornir(settings).inventory.hosts
    if device not in hosts:
        names = ", ".join(sorted(hosts))
        raise RefusedError(f"no device {device!r} in the inventory (devices: {names})")
    target = target_for(hosts[device], None)
    known_hosts = KnownHosts(settings.state_path, settings.collect.host_key_policy)
    pinned = known_hosts.pinned(target.hostname, target.port)
    key = probe_host_key(
        target.hostname, target.port, settings.collect.connect_timeout, prefer=list(pinned)
    )
    return KeyReview(
        device,
        target.hostname,
        target.port,
        tuple(describe_key(k) for k in pinned.values()),
        describe_key(key),
        key,
    )


def accept_host_key(settings: Settings, review: KeyReview, by: str) -> None:
    """Pin the reviewed key and record it in the audit trail, under the site lock.

    The device is probed again first: if its key changed since the review, nothing is written.
    """
    again = review_host_key(settings, review.device)
    if again.presented != review.presented:
        raise RefusedError(
            f"{review.device} now presents {again.presented}, not the reviewed "
            f"{review.presented}; nothing was changed, run the command again"
        )
    known_hosts = KnownHosts(settings.state_path, settings.collect.host_key_policy)
    with site_lock(settings.state_path, f"hostkey accept {review.device}"):
        engine = shared_engine(settings.database_url)
        try:
            ensure_schema(engine)
            with session_factory(engine).begin() as session:
                audit = AuditLog(session, settings.site.name, settings.state_path)
                details = {
                    "address": review.entry,
                    "old": list(review.pinned),
                    "new": review.presented,
                }
                audit.append(by, "hostkey.accept", review.device, details)
                # inside the transaction: a failed write of known_hosts rolls the entry back
                known_hosts.replace(review.hostname, review.port, review.key)
            audit.committed()
        finally:
            engine.dispose()
    log.warning(
        "[%s] %s: host key %s accepted by %s (was %s)",
        settings.site.name,
        review.device,
        review.presented,
        by,
        ", ".join(review.pinned) or "none",
    )
