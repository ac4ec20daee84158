"""The central database stopped for real: the site polls and alerts on, the ``fleet-sync`` job
fails and alerts once, and the sync after the restart copies everything exactly once."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from apscheduler.events import EVENT_JOB_ERROR
from sqlalchemy import text

from prisme_drift.config import load_settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.daemon.sdnotify import SystemdNotifier
from prisme_drift.daemon.supervisor import Daemon
from prisme_drift.errors import FleetError
from prisme_drift.fleet.central import central_engine, grant_site, migrate
from prisme_drift.fleet.sync import sync_site
from prisme_drift.poll import run_poll
from tests.conftest import LabSite
from tests.fleet.snapshots import central_snapshot, site_snapshot

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

PG_START = Path(__file__).resolve().parents[2] / ".ci" / "pg-start"
VLAN_CHANGE = ["vlan 40", " name CFAO-TEMP", "exit"]


@dataclass
class OwnCluster:
    """A PostgreSQL cluster of this module's own, which the test may stop and start."""

    folder: Path
    port: int
    url: str = ""

    def _run(self, *args: str) -> str:
        env = {**os.environ, "PRISME_PG_DIR": str(self.folder), "PRISME_PG_PORT": str(self.port)}
        done = subprocess.run(
            ["bash", str(PG_START), *args], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def start(self) -> str:
        self.url = self._run()
        return self.url

    def stop(self) -> None:
        self._run("stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[OwnCluster]:
    """Start a private cluster (about 3 s), destroyed after the module."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    own = OwnCluster(Path(f"/tmp/prisme-fleet-pg-{uuid.uuid4().hex[:8]}"), port)
    own.start()
    yield own
    own._run("destroy")


def test_a_stopped_central_database_never_stops_the_site(
    lab_site: Callable[..., LabSite], cluster: OwnCluster
) -> None:
    admin = central_engine(cluster.url)
    migrate(admin)
    with admin.begin() as connection:
        connection.execute(text("CREATE ROLE fleet_outage LOGIN PASSWORD 'pw-outage-42'"))
    grant_site(admin, "clinic-out", "fleet_outage")
    admin.dispose()

    site = lab_site(["sw01", "sw02"])
    role_url = cluster.url.replace("//postgres@", "//fleet_outage@")
    (site.folder / "fleet-db-password").write_text("pw-outage-42\n")
    config = site.config_file.read_text().replace('name = "test-site"', 'name = "clinic-out"')
    config += f'\n[fleet]\nurl = "{role_url}"\npassword_file = "fleet-db-password"\n'
    site.config_file.write_text(config)
    settings = site.settings = load_settings(site.config_file)
    run_poll(settings)
    sync_site(settings)

    cluster.stop()
    site.device("sw01").configure(VLAN_CHANGE)
    changed = run_poll(settings)  # detection goes on
    assert changed.exit_code == 3 and changed.opened
    daemon = Daemon(settings.source, settings, 0, notifier=SystemdNotifier(None))
    for _ in range(2):  # two failed runs of the job, one alert (one failure streak)
        with pytest.raises(FleetError) as caught:
            daemon.bodies.run(plan.FLEET, None)
        assert "pw-outage-42" not in str(caught.value)
        daemon._on_event(
            SimpleNamespace(
                code=EVENT_JOB_ERROR,
                job_id=plan.FLEET,
                scheduled_run_time=datetime.now(UTC),
                exception=caught.value,
                traceback="",
            )
        )
    site.device("sw01").configure(["no vlan 40"])
    reverted = run_poll(settings)
    assert sorted(reverted.closed) == sorted(changed.opened)

    db = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
    kinds = [row[0] for row in db.execute("SELECT kind FROM events ORDER BY id")]
    db.close()
    assert kinds.count("job_failed") == 1  # the fleet-sync failure streak, alerted once
    assert "drift_opened" in kinds  # the site's own alerting went on

    before = cluster.url
    assert cluster.start() == before, "the private cluster came back on another port"
    resumed = sync_site(settings)
    assert resumed.rows["polls"] == 2  # the two polls made during the outage
    admin = central_engine(cluster.url)
    try:
        assert central_snapshot(admin, "clinic-out") == site_snapshot(settings)
        again = sync_site(settings)
        assert again.rows["polls"] == again.rows["events"] == 0
        assert central_snapshot(admin, "clinic-out") == site_snapshot(settings)
    finally:
        admin.dispose()
