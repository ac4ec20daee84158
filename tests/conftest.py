"""Shared fixtures: a site folder wired to simulated devices over real SSH on 127.0.0.1."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from prisme_drift.config import Settings, load_settings
from prisme_drift.demo import write_inventory
from prisme_drift.lab import Lab, LabDevice
from prisme_drift.site import init_site

pytest_plugins = ["tests.pg_fixtures"]


@dataclass
class LabSite:
    """A site folder, its settings and the lab its inventory points to."""

    folder: Path
    lab: Lab
    password: str
    settings: Settings

    @property
    def config_file(self) -> Path:
        return self.folder / "prisme-drift.toml"

    def device(self, name: str) -> LabDevice:
        return self.lab.device(name)


def make_site(
    folder: Path,
    lab: Lab,
    password: str,
    *,
    database_url: str | None = None,
    timeout: float = 20,
    retries: int = 0,
) -> LabSite:
    """Create and configure a site folder for ``lab``; short limits keep failing tests fast."""
    init_site(folder, site="test-site", client="Cabinet Test")
    write_inventory(folder, lab, password)
    toml = folder / "prisme-drift.toml"
    text = toml.read_text()
    text = text.replace('# credentials = "credentials.yaml"', 'credentials = "credentials.yaml"')
    text = text.replace("timeout = 120 ", f"timeout = {timeout} ")
    text = text.replace("retries = 2 ", f"retries = {retries} ")
    text = text.replace("connect_timeout = 15", "connect_timeout = 5\nbackoff = 0.2")
    if database_url:
        text = text.replace(
            'url = "sqlite:///state/prisme-drift.sqlite"', f'url = "{database_url}"'
        )
    toml.write_text(text)
    return LabSite(folder, lab, password, load_settings(toml))


@pytest.fixture
def lab_site(tmp_path: Path) -> Iterator[Callable[..., LabSite]]:
    """Factory: ``lab_site(["sw01", "sw02"], timeout=..)`` starts devices and a site for them."""
    labs: list[Lab] = []

    def factory(names: list[str] | dict[str, str] | None = None, **kwargs: object) -> LabSite:
        """Device names (IOS), or a mapping name -> lab platform."""
        password = secrets.token_urlsafe(10)
        platforms = names if isinstance(names, dict) else dict.fromkeys(names or ["sw01"], "ios")
        devices = [
            LabDevice(name=n, platform=p, username="admin", password=password)
            for n, p in platforms.items()
        ]
        lab = Lab(devices)
        lab.start()
        labs.append(lab)
        return make_site(tmp_path / f"site{len(labs)}", lab, password, **kwargs)  # type: ignore[arg-type]

    yield factory
    for lab in labs:
        lab.stop()
