"""Site folder operations: ``init``, ``status`` and ``diff``."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from prisme_drift.baseline import APPROVED, OBSERVED, BaselineRepo
from prisme_drift.config import DEFAULT_NAME, Settings, load_settings
from prisme_drift.errors import ConfigError, RefusedError
from prisme_drift.settings_file import render_default
from prisme_drift.sitelock import running_daemon_pid
from prisme_drift.statedir import make_private_dir
from prisme_drift.store.engine import ensure_schema, make_engine, session_factory, shared_engine
from prisme_drift.store.jobstate import Snapshot, read_site_snapshot
from prisme_drift.store.models import Device, DriftItem, Poll
from prisme_drift.timefmt import DEFAULT_TIMEZONE, iso

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


def _init_settings_text(directory: Path, name: str, client: str, timezone: str) -> str:
    """The settings file ``init`` writes, validated before anything is created."""
    if any(ord(c) < 32 for c in client):
        raise ConfigError(
            f"--client {client!r}: control characters (new lines) are not allowed; "
            "nothing was created"
        )
    text = render_default(name, client, timezone)
    try:
        Settings.model_validate(
            {**tomllib.loads(text), "source": directory.resolve() / DEFAULT_NAME}
        )
    except ValidationError as exc:
        options = {"name": "--site", "timezone": "--timezone", "client": "--client"}
        problems = []
        for error in exc.errors():
            option = options.get(str(error["loc"][-1]), ".".join(map(str, error["loc"])))
            problems.append(f"{option}: {error['msg']}")
        raise ConfigError(
            f"cannot create the site folder {directory}; nothing was created",
            problems=problems,
        ) from None
    return text


def init_site(
    directory: Path, *, site: str | None = None, client: str = "", timezone: str = DEFAULT_TIMEZONE
) -> list[Path]:
    """Create a site folder; refuses to overwrite an existing settings file.

    Every option is validated before anything is written; the folder is then built in a hidden
    sibling and moved into place, so a failure (or a kill) never leaves a half-made site that
    blocks the retry.
    """
    settings_path = directory / DEFAULT_NAME
    if settings_path.exists():
        raise ConfigError(f"{settings_path} already exists; nothing was changed")
    name = site or slug(directory.resolve().name)
    text = _init_settings_text(directory, name, client, timezone)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.init-", dir=directory.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp's 0700 is for the hidden staging only
        names = _build_site(staging, text)
        clash = [n for n in names if (directory / n).exists() or (directory / n).is_symlink()]
        if clash:
            raise ConfigError(
                f"{directory} already holds {', '.join(clash)}; move them away or choose "
                "another folder; nothing was changed"
            )
        _move_into(staging, directory, names)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [directory / n for n in _CREATED]


#: What ``init`` creates, relative to the site folder, as it reports it.
_CREATED = (
    DEFAULT_NAME,
    "inventory/hosts.yaml",
    "inventory/groups.yaml",
    "inventory/defaults.yaml",
    "credentials.yaml",
    "state",
    "baselines",
)


def _umask() -> int:
    """The process umask (read by setting it, then put back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _build_site(folder: Path, text: str) -> list[str]:
    """Write a complete site into ``folder``; the names of its top-level entries."""
    created: list[Path] = []
    _write(folder / DEFAULT_NAME, text, created)
    _write(folder / "inventory" / "hosts.yaml", HOSTS_EXAMPLE, created)
    _write(folder / "inventory" / "groups.yaml", GROUPS_EXAMPLE, created)
    _write(folder / "inventory" / "defaults.yaml", DEFAULTS_EXAMPLE, created)
    _write(folder / "credentials.yaml", CREDENTIALS_EXAMPLE, created, mode=0o600)
    settings = load_settings(folder / DEFAULT_NAME)
    make_private_dir(settings.state_path)
    BaselineRepo.create(settings.baseline_path)
    engine = make_engine(settings.database_url)  # not shared: the file moves afterwards
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    return sorted(p.name for p in folder.iterdir())


def _move_into(staging: Path, directory: Path, names: list[str]) -> None:
    """Rename the staged site into place: the whole folder when the target is absent or
    empty, else entry by entry (each one a rename on the same file system)."""
    if not directory.exists() or (directory.is_dir() and not any(directory.iterdir())):
        os.replace(staging, directory)
        return
    for name in names:
        os.rename(staging / name, directory / name)


def daemon_status(recorded: Snapshot, state_dir: Path) -> dict[str, Any]:
    """What ``status`` shows of the daemon: its recorded mode, pid if running, every job.

    ``dead``: the record says running but no process holds the daemon lock (killed). A running
    daemon that has not recorded itself yet (its start-up checks still running, or the database
    unusable since it started) shows as ``starting`` with the jobs as last recorded.
    """
    data = recorded.as_json()
    pid = running_daemon_pid(state_dir)
    daemon = data["daemon"]
    daemon["running"] = pid is not None
    if pid is None and daemon.get("mode") not in (None, "stopped"):
        daemon["mode"] = "dead"  # the record says running, but no process holds the lock
    elif pid is not None and daemon.get("pid") != pid:
        daemon.update(pid=pid, mode="starting", degraded_reason=None)
    return {"daemon": daemon, "jobs": data["jobs"]}


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
            rows = session.execute(
                select(DriftItem.device_id, func.count())
                .where(DriftItem.site == site, DriftItem.closed_at.is_(None))
                .group_by(DriftItem.device_id)
            )
            counts: dict[int, int] = {int(d): int(n) for d, n in rows}
            last = session.scalar(select(func.max(Poll.finished_at)).where(Poll.site == site))
            jobs = read_site_snapshot(session, settings.state_path, site)
    finally:
        engine.dispose()
    with BaselineRepo(settings.baseline_path, site) as repo:
        observed, approved = repo.head(OBSERVED), repo.head(APPROVED)
    return {
        "daemon": daemon_status(jobs, settings.state_path),
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
                # gone from the inventory: no longer polled, history and baseline kept
                "removed": d.removed_at is not None,
                "removed_at": iso(d.removed_at, timespec="seconds"),
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
