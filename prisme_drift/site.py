"""Site folder operations: ``init``, ``status`` and ``diff``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.config import DEFAULT_NAME, DEFAULT_TIMEZONE, Settings, render_default
from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import Device, DriftItem, Poll
from prisme_drift.timefmt import iso

HOSTS_EXAMPLE = """\
# Nornir SimpleInventory. An existing Nornir inventory works as is.
# Passwords are better kept in ../credentials.yaml (see [inventory] credentials).
# sw01:
#   hostname: 192.0.2.10
#   port: 22
#   platform: ios
#   groups: [switches]
#   data:
#     role: access
{}
"""

GROUPS_EXAMPLE = """\
# switches:
#   username: admin
#   data:
#     site_role: clinic
{}
"""

DEFAULTS_EXAMPLE = """\
# username: admin
{}
"""

CREDENTIALS_EXAMPLE = """\
# Passwords kept out of the inventory. Keep this file mode 0600.
# A host entry wins over its groups, groups over defaults.
defaults: {}
groups: {}
hosts: {}
"""


def slug(name: str) -> str:
    """A valid site name from a folder name."""
    text = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    return (text or "site")[:64]


def _write(path: Path, text: str, created: list[Path], mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    created.append(path)


def init_site(
    directory: Path, *, site: str | None = None, client: str = "", timezone: str = DEFAULT_TIMEZONE
) -> list[Path]:
    """Create a site folder; refuses to overwrite an existing settings file."""
    settings_path = directory / DEFAULT_NAME
    if settings_path.exists():
        raise ConfigError(f"{settings_path} already exists; nothing was changed")
    name = site or slug(directory.resolve().name)
    created: list[Path] = []
    _write(settings_path, render_default(name, client, timezone), created)
    _write(directory / "inventory" / "hosts.yaml", HOSTS_EXAMPLE, created)
    _write(directory / "inventory" / "groups.yaml", GROUPS_EXAMPLE, created)
    _write(directory / "inventory" / "defaults.yaml", DEFAULTS_EXAMPLE, created)
    _write(directory / "credentials.yaml", CREDENTIALS_EXAMPLE, created, mode=0o600)
    from prisme_drift.config import load_settings

    settings = load_settings(settings_path)
    settings.state_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    created.append(settings.state_path)
    BaselineRepo.create(settings.baseline_path)
    created.append(settings.baseline_path)
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    return created


def site_status(settings: Settings) -> dict[str, Any]:
    """Everything ``status`` shows, as plain data."""
    site = settings.site.name
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            devices = list(
                session.scalars(select(Device).where(Device.site == site).order_by(Device.name))
            )
            counts = dict(
                session.execute(
                    select(DriftItem.device_id, func.count())
                    .where(DriftItem.site == site, DriftItem.closed_at.is_(None))
                    .group_by(DriftItem.device_id)
                )
                .tuples()
                .all()
            )
            last = session.scalar(select(func.max(Poll.finished_at)).where(Poll.site == site))
    finally:
        engine.dispose()
    with BaselineRepo(settings.baseline_path, site) as repo:
        observed, approved = repo.head(OBSERVED), repo.head(APPROVED)
    from prisme_drift.daemon.jobstate import daemon_status

    return {
        "daemon": daemon_status(settings.state_path, site),
        "site": site,
        "last_poll": iso(last, timespec="seconds"),
        "open_drift": sum(counts.values()),
        "observed": observed,
        "approved": approved,
        "devices": [
            {
                "name": d.name,
                "platform": d.platform,
                "hostname": d.hostname,
                "port": d.port,
                "last_status": d.last_status,
                "last_error": d.last_error,
                "last_poll_at": iso(d.last_poll_at, timespec="seconds"),
                "last_success_at": iso(d.last_success_at, timespec="seconds"),
                "consecutive_failures": d.consecutive_failures,
                "open_drift": counts.get(d.id, 0),
            }
            for d in devices
        ],
    }


def device_diff(settings: Settings, device: str) -> str:
    """Unified diff approved -> observed of a device's normalized files."""
    with BaselineRepo(settings.baseline_path, settings.site.name) as repo:
        if repo.read(OBSERVED, device, "") is None:
            raise RefusedError(
                f"no baseline for device {device!r} on site {settings.site.name}; "
                "check the name with 'prisme-drift status'"
            )
        return repo.diff(device)
