"""The daemon's job state lives in the database: a site's old ``jobs.json`` is imported once with
``status`` unchanged, an unchecked or unusable store is never written, and what happened
meanwhile is written as soon as the store is usable again."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prisme_drift.config import load_settings
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.site import init_site, site_status
from prisme_drift.store.engine import make_engine, session_factory
from prisme_drift.store.jobstate import DaemonInfo, JobState, Snapshot, load_snapshot
from tests.conftest import SmallDisk

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def legacy_file(site: str) -> str:
    """A ``jobs.json`` as the daemon wrote it before the job state moved into the database."""
    poll = JobState(
        last_started_at=NOW,
        last_success_at=NOW - timedelta(minutes=15),
        last_failure_at=NOW + timedelta(seconds=4),
        last_error="StoreError: disk full",
        last_outcome="failed",
        last_duration_s=4.25,
        failing_since=NOW - timedelta(minutes=1),
        next_run_at=NOW + timedelta(minutes=15),
        runs=120,
        failures=3,
        consecutive_failures=2,
    )
    window = JobState(next_run_at=NOW + timedelta(days=1))
    daemon = DaemonInfo(
        pid=4242,
        started_at=NOW - timedelta(days=2),
        first_started_at=NOW - timedelta(days=90),
        stopped_at=NOW + timedelta(minutes=1),
        mode="stopped",
        settings="/var/lib/prisme-drift/s1/prisme-drift.toml",
    )
    snapshot = Snapshot(site, daemon, {"poll": poll, "window-CHG-1-start": window})
    return json.dumps(snapshot.as_json(), indent=2) + "\n"


def recorded(url: str, site: str) -> Snapshot | None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return load_snapshot(session, site)
    finally:
        engine.dispose()


def test_an_old_jobs_json_is_imported_once_and_status_shows_the_same(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site="s1")
    settings = load_settings(tmp_path / "site" / "prisme-drift.toml")
    legacy = settings.state_path / "jobs.json"
    legacy.write_text(legacy_file("s1"))
    before = site_status(settings)["daemon"]  # an upgraded site, its daemon not restarted yet
    assert before["jobs"]["poll"]["runs"] == 120 and before["daemon"]["mode"] == "stopped"

    assert JobStateStore(settings.database_url, settings.state_path, "s1").use_store()
    assert not legacy.exists()
    assert (settings.state_path / "jobs.json.imported").read_text() == legacy_file("s1")
    assert site_status(settings)["daemon"] == before
    assert json.dumps(site_status(settings)["daemon"]) == json.dumps(before)  # same order too

    # the next start finds nothing to import and keeps the history
    again = JobStateStore(settings.database_url, settings.state_path, "s1")
    again.daemon_started(settings.source, NOW + timedelta(hours=1))
    assert again.use_store()
    assert again.get("poll").runs == 120 and again.daemon.first_started_at == NOW - timedelta(
        days=90
    )
    assert again.failed("poll", NOW + timedelta(hours=2), "x") == NOW - timedelta(minutes=1)


def test_an_unchecked_or_held_store_is_never_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    store = JobStateStore(url, tmp_path / "state", "s1")
    store.daemon_started(tmp_path / "x.toml", NOW)  # before the start-up checks
    store.failed("integrity", NOW, "database disk image is malformed")
    assert not (tmp_path / "db.sqlite").exists()  # not even created
    assert store.use_store()
    store.hold()  # a store problem found later
    store.failed("poll", NOW + timedelta(minutes=1), "disk full")
    assert not store.flush()
    shown = recorded(url, "s1")
    assert shown is not None and "poll" not in shown.jobs
    assert shown.jobs["integrity"].last_error == "database disk image is malformed"
    assert store.use_store()
    shown = recorded(url, "s1")
    assert shown is not None and shown.jobs["poll"].last_error == "disk full"


def test_a_full_disk_keeps_the_job_state_in_memory_until_space_is_back(
    small_disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{small_disk.path}/db.sqlite"
    store = JobStateStore(url, small_disk.path / "state", "s1")
    small_disk.fill()
    with caplog.at_level(logging.ERROR, logger="prisme_drift.daemon.jobstate"):
        assert not store.use_store()
        for minute in range(3):
            store.failed("poll", NOW + timedelta(minutes=minute), "disk full")
            assert not store.flush()  # a write tried at each change, refused
    said = [
        r.getMessage() for r in caplog.records if "cannot write the job state" in r.getMessage()
    ]
    assert len(said) == 1, said  # said once, not at every change
    assert store.get("poll").consecutive_failures == 3

    small_disk.free()
    store.succeeded("outbox", NOW + timedelta(minutes=4), "0 sent")
    assert store.flush()
    shown = recorded(url, "s1")
    assert shown is not None and shown.jobs["poll"].consecutive_failures == 3
    assert shown.jobs["poll"].failing_since == NOW and shown.jobs["outbox"].runs == 1


def test_a_locked_database_never_holds_up_the_caller_and_is_written_once_free(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    store = JobStateStore(url, tmp_path / "state", "s1")
    assert store.use_store()
    other = sqlite3.connect(tmp_path / "db.sqlite", timeout=0, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a long writer elsewhere (a poll's transaction)
    try:
        store.failed("poll", NOW, "boom")  # returned while the database is locked
        assert store.get("poll").last_error == "boom"
        assert not store.flush(timeout=1)  # the writer thread waits for the database, not us
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.flush(timeout=60)  # written with no further change once the lock is gone
    shown = recorded(url, "s1")
    assert shown is not None and shown.jobs["poll"].last_error == "boom"


def test_what_a_daemon_saw_before_its_store_was_usable_joins_the_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    first = JobStateStore(url, tmp_path / "state", "s1")
    assert first.use_store()
    first.failed("poll", NOW, "disk full")  # a streak begins in an earlier process
    first.failed("outbox", NOW, "relay down")
    first.close()

    later = JobStateStore(url, tmp_path / "state", "s1")  # store not usable yet at its start
    later.daemon_started(tmp_path / "x.toml", NOW + timedelta(hours=1))
    later.failed("poll", NOW + timedelta(hours=1), "still full")
    later.succeeded("outbox", NOW + timedelta(hours=1), "1 sent")
    assert later.use_store()
    poll, outbox = later.get("poll"), later.get("outbox")
    assert poll.consecutive_failures == 2 and poll.failing_since == NOW  # the streak goes on
    assert poll.runs == 2 and poll.last_error == "still full"
    assert outbox.consecutive_failures == 0 and outbox.failing_since is None  # streak ended
    assert outbox.last_error == "relay down" and outbox.runs == 2
