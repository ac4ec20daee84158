"""The ``fleet-sync`` job end to end: the store copied to the central database, the baseline
pushed to the site's own git remote, a diverged remote an alert and never a force."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from prisme_drift.baseline.store import APPROVED, OBSERVED
from prisme_drift.config import load_settings
from prisme_drift.daemon.fleet import fleet_sync_job
from prisme_drift.poll import run_poll
from prisme_drift.store.engine import session_factory, shared_engine
from prisme_drift.store.models import Event
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.e2e.test_tickets import write_ticket
from tests.fleet.conftest import Central, diverge, head, make_bare
from tests.fleet.test_fleet_sync import fleet_site

pytestmark = [pytest.mark.lab, pytest.mark.postgres]


def local_head(site: LabSite, branch: str) -> str | None:
    return head(site.settings.baseline_path, branch)


def rejected_events(site: LabSite) -> list[Event]:
    engine = shared_engine(site.settings.database_url)
    with session_factory(engine)() as session:
        return list(session.scalars(select(Event).where(Event.kind == "fleet_push_rejected")))


def test_the_job_pushes_the_baseline_and_a_diverged_remote_alerts_once(
    lab_site: Callable[..., LabSite], central: Central, tmp_path: Path
) -> None:
    site = fleet_site(lab_site, central, "clinic-git", ["sw01"])
    remote = make_bare(tmp_path / "server" / "clinic-git.git")
    with site.config_file.open("a") as settings:
        settings.write(f'git_remote = "{remote.as_uri()}"\n')
    site.settings = load_settings(site.config_file)
    run_poll(site.settings)

    outcome, note = fleet_sync_job(site.settings)
    assert outcome == "ok" and "observed pushed" in note, note
    assert head(remote, OBSERVED) == local_head(site, OBSERVED) is not None
    assert head(remote, APPROVED) == local_head(site, APPROVED)

    theirs = diverge(remote, OBSERVED)  # a second writer on the site's repository
    site.device("sw01").configure(["vlan 41", " name TEMP", "exit"])
    assert run_poll(site.settings).exit_code == 3
    for _ in range(2):
        done = run_cli("-c", str(site.config_file), "fleet", "sync")
        assert done.returncode == 0, done.stderr
        assert "observed rejected" in done.stdout, done.stdout
    assert head(remote, OBSERVED) == theirs  # never forced
    assert local_head(site, OBSERVED) != theirs
    (event,) = rejected_events(site)  # one alert for the divergence, not one per sync
    assert event.payload["branch"] == OBSERVED


def test_tickets_kept_as_files_reach_the_central_database_once(
    lab_site: Callable[..., LabSite], central: Central
) -> None:
    site = fleet_site(lab_site, central, "clinic-files", ["sw01"])
    write_ticket(site, "CHG-FILE-1")
    run_poll(site.settings)
    for _ in range(2):  # copied whole at every sync: an upsert, never a second row
        done = run_cli("-c", str(site.config_file), "fleet", "sync")
        assert done.returncode == 0, done.stderr
    with central.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, status, data FROM tickets WHERE site = 'clinic-files'")
        ).all()
    assert [(r.id, r.status) for r in rows] == [("CHG-FILE-1", "approved")]
    assert rows[0].data["origin"] == "tickets/CHG-FILE-1.yaml"
    assert rows[0].data["approval"]["ref"] == "mail 25/11"
