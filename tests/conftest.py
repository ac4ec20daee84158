"""Shared fixtures: a site folder wired to simulated devices over real SSH on 127.0.0.1."""

from __future__ import annotations

import errno
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prisme_drift_lab import Lab, LabDevice

from prisme_drift.config import Settings, load_settings
from prisme_drift.demo import write_inventory
from prisme_drift.site import init_site

pytest_plugins = ["tests.pg_fixtures"]

#: Session and module fixtures that cost a lab run or a PDF each (a demo, a month of polls, an
#: audit rendered), and the xdist group of their tests: under pytest-xdist (``./dev.sh test``)
#: every test that uses one goes to the same worker, which builds it once, as a serial run does.
#: Each worker would build its own otherwise (a session fixture is per process). The "demo"
#: group also holds the tests that run a whole demo themselves (tests/test_cli.py): one demo at
#: a time, as each one keeps a core busy for tens of seconds.
SHARED_ON_ONE_WORKER = {
    "french_demo": "demo",
    "monthly_history": "monthly_history",
    "french_audit": "french_audit",
}


@pytest.hookimpl(wrapper=True)  # a wrapper: before xdist reads the marks (--dist loadgroup)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Iterator[None]:
    """Mark the tests of each costly shared fixture ``xdist_group(<fixture>)``."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        used = [group for name, group in SHARED_ON_ONE_WORKER.items() if name in fixtures]
        if used:
            item.add_marker(pytest.mark.xdist_group(used[0]))
    yield
    if config.getoption("loadgroup", default=False):  # an xdist worker under --dist loadgroup
        for item in items:
            _group_in_node_id(item)


def _group_in_node_id(item: pytest.Item) -> None:
    """``test_x@group``, the node id --dist loadgroup schedules by: pytest-xdist 3.8 writes it
    to ``item._nodeid``, which pytest 9.2 no longer reads (the id is ``item._id``), so every
    test of a group would go to any worker. Done here when xdist's own suffix did not stick."""
    groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                     for m in item.iter_markers("xdist_group")})  # fmt: skip
    if groups and "@" not in item.nodeid and hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id  # pytest >= 9.2 only

        item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' own ``$XDG_CACHE_HOME`` (the profile cache, ``prisme_drift.profiles.cache``),
    not the account's ``~/.cache``; the processes the tests start inherit it."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@dataclass(frozen=True)
class DemoRun:
    """``prisme-drift demo --dir FOLDER`` (French, the default) and what it printed."""

    folder: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def french_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One French demo for every test that reads what it printed or wrote (the alert, the
    audit, the monthly summary, the intervention report): a demo polls its lab several times
    and renders three PDFs. Tests read its folder, they never change it."""
    from tests.clirun import run_cli

    folder = tmp_path_factory.mktemp("french-demo") / "demo"
    return DemoRun(folder, run_cli("demo", "--dir", folder))


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
    text = text.replace("connect_timeout = 15 ", "connect_timeout = 5 ")
    text = text.replace("backoff = 2.0 ", "backoff = 0.2 ")
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

    def factory(
        names: list[str] | dict[str, str] | None = None,
        parent: Path | None = None,
        **kwargs: object,
    ) -> LabSite:
        """Device names (IOS), or a mapping name -> lab platform; the site folder goes in
        ``parent`` (default: the test's tmp_path)."""
        password = secrets.token_urlsafe(10)
        platforms = names if isinstance(names, dict) else dict.fromkeys(names or ["sw01"], "ios")
        devices = [
            LabDevice(name=n, platform=p, username="admin", password=password)
            for n, p in platforms.items()
        ]
        lab = Lab(devices)
        lab.start()
        labs.append(lab)
        folder = (parent or tmp_path) / f"site{len(labs)}"
        return make_site(folder, lab, password, **kwargs)  # type: ignore[arg-type]

    yield factory
    for lab in labs:
        lab.stop()


@dataclass
class SmallDisk:
    """A small tmpfs: a real file system that runs out of space (ENOSPC) on demand."""

    path: Path

    @property
    def filler(self) -> Path:
        return self.path / "filler"

    def fill(self, leave: int = 0) -> None:
        """Fill the file system, then free ``leave`` bytes (rounded to tmpfs pages)."""
        with self.filler.open("ab", buffering=0) as handle:
            for chunk in (1 << 20, 1 << 16, 1 << 12, 1):
                try:
                    while True:
                        handle.write(b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        size = self.filler.stat().st_size
        os.truncate(self.filler, max(0, size - leave))

    def free(self) -> None:
        """Space back."""
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 32 MiB tmpfs mounted for the test (needs root, as CI runs; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "prisme-test", str(mount)],
        check=True,
    )
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
