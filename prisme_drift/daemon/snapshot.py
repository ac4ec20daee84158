"""The daemon's copy of the validated inventory, in ``state/daemon/inventory-N/``.

Jobs read the copy, never the live files, so an edit without SIGHUP never reaches a poll
half-made. The copy before the current one is kept (a running poll may still read it).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from prisme_drift.config import InventorySettings, Settings

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "daemon"
INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


class InventorySnapshots:
    """Numbered copies of a site's inventory files."""

    def __init__(self) -> None:
        self.version = 0

    def take(self, live: Settings, fresh: bool = False) -> Settings:
        """Copy ``live``'s inventory files; the settings pointing at the copy.

        ``fresh`` first removes every earlier copy (at start). Raises OSError (a full disk).
        """
        base = live.state_path / SNAPSHOT_DIR
        if fresh:
            shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.version += 1
        target = base / f"inventory-{self.version}"
        target.mkdir(mode=0o700)
        for name in INVENTORY_FILES:
            source = live.inventory_path / name
            if source.exists():
                fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as copy:
                    copy.write(source.read_bytes())
        inventory = InventorySettings(path=target, credentials=live.credentials_path)
        self._prune(base)
        return live.model_copy(update={"inventory": inventory})

    def take_at_start(self, live: Settings) -> Settings | None:
        """The first copy; None on a full disk (logged): the jobs then read the live inventory
        until the integrity retry that finds space again makes the copy."""
        try:
            return self.take(live, fresh=True)
        except OSError as exc:
            log.warning("[%s] cannot copy the inventory into %s: %s", live.site.name,
                        live.state_path / SNAPSHOT_DIR, exc)  # fmt: skip
            return None

    def _prune(self, base: Path) -> None:
        for old in base.glob("inventory-*"):
            number = old.name.split("-")[-1]
            if number.isdigit() and int(number) < self.version - 1:
                shutil.rmtree(old, ignore_errors=True)
