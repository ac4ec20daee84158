"""The daemon's parts one by one: durations, sd_notify, job state, locks, schedule, maintenance,
start-up recovery (stale locks, torn polls) and the ticket-window jobs."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.config import load_settings
from prisme_drift.daemon import schedule
from prisme_drift.daemon.jobstate import JobStateStore
from prisme_drift.daemon.journal import JournalFormatter
from prisme_drift.daemon.maintenance import (
    MaintenanceError,
    backup_sqlite,
    run_git,
    sqlite_file,
    sqlite_quick_check,
)
from prisme_drift.daemon.scheduler import JobResult
from prisme_drift.daemon.sdnotify import SystemdNotifier, socket_address, watchdog_seconds
from prisme_drift.daemon.supervisor import Daemon
from prisme_drift.durations import format_duration, parse_duration
from prisme_drift.errors import ConfigError, StoreError
from prisme_drift.poll import run as poll_run
from prisme_drift.poll import run_poll
from prisme_drift.recovery import (
    clear_stale_git_state,
    reconcile_observed,
    startup_recovery,
)
from prisme_drift.settings_file import render_default
from prisme_drift.site import daemon_status, init_site
from prisme_drift.sitelock import DaemonLock, DaemonRunningError
from prisme_drift.store.engine import make_engine, session_factory
from prisme_drift.store.jobstate import Snapshot, load_snapshot
from prisme_drift.store.models import Poll
from tests.conftest import LabSite
from tests.daemon.conftest import NotifyListener, wait_until

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- durations, settings


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("1s", 1), ("2h", 7200), ("1h30m", 5400), ("90", 90), (45, 45), ("1d", 86400)],
)
def test_durations_parse(text: str | int, seconds: float) -> None:
    value = text if isinstance(text, int) or not text.isdigit() else int(text)
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("bad", ["", "15", "m15", "15 minutes", "-1m", "0s", "1w", True])
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match=r"duration|more than zero"):
        parse_duration(bad)  # type: ignore[arg-type]


def test_duration_formatting_round_trips() -> None:
    assert [format_duration(s) for s in (900, 5400, 1, 90061, 0.5)] == [
        "15m",
        "1h30m",
        "1s",
        "1d1h1m1s",
        "0.5s",
    ]


def settings_with(tmp_path: Path, schedule_text: str) -> Path:
    text = render_default("s1")
    start = text.index("[schedule]")
    end = text.index("\n\n", start)
    path = tmp_path / "prisme-drift.toml"
    path.write_text(text[:start] + schedule_text + text[end:])
    return path


def test_schedule_defaults_and_seconds(tmp_path: Path) -> None:
    settings = load_settings(settings_with(tmp_path, "[schedule]\n"))
    assert settings.schedule.poll_seconds == 900 and settings.schedule.outbox_seconds == 60
    fast = load_settings(settings_with(tmp_path, '[schedule]\npoll_every = "2s"\n'))
    assert fast.schedule.poll_seconds == 2


def test_schedule_errors_are_all_reported(tmp_path: Path) -> None:
    path = settings_with(
        tmp_path,
        '[schedule]\nbackup_cron = "99 2 * * *"\noutbox_every = "soon"\nbackups_keep = 0\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert "3 problem(s)" in text and "[schedule.backup_cron]" in text
    assert "[schedule.outbox_every]" in text and "[schedule.backups_keep]" in text


def test_poll_every_and_poll_cron_exclude_each_other(tmp_path: Path) -> None:
    path = settings_with(tmp_path, '[schedule]\npoll_every = "5m"\npoll_cron = "*/5 * * * *"\n')
    with pytest.raises(ConfigError, match="exclude each other"):
        load_settings(path)


# --------------------------------------------------------------------------- sd_notify


def test_notify_socket_addresses_and_watchdog() -> None:
    assert socket_address("@sd/notify") == "\0sd/notify"
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert socket_address("vsock:2:1234") is None and socket_address("") is None
    assert watchdog_seconds({"WATCHDOG_USEC": "4000000"}, 7) == 4.0
    assert watchdog_seconds({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "8"}, 7) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "7"}, 7) == 4.0
    assert watchdog_seconds({}, 7) is None


def has_messages(listener: NotifyListener, count: int) -> Callable[[], bool]:
    return lambda: len(listener.messages) == count


def test_notify_messages_reach_abstract_and_path_sockets(tmp_path: Path) -> None:
    short = Path(os.path.join("/tmp", f"pd-{os.getpid()}.sock"))  # AF_UNIX paths are short
    for listener in (NotifyListener(), NotifyListener(short)):
        try:
            env = {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "2000000"}
            notifier = SystemdNotifier.from_env(env)
            assert notifier.watchdog == 2.0
            assert notifier.ready("watching: 3 device(s)\nsecond line")
            assert notifier.ping_due(now=100.0)
            assert notifier.ping(now=100.0)
            assert not notifier.ping_due(now=100.5) and notifier.ping_due(now=101.0)
            assert notifier.stopping()
            wait_until(has_messages(listener, 3), 5, "three datagrams")
            ready, ping, stop = (m for _, m in listener.messages)
            assert ready == {"READY": "1", "STATUS": "watching: 3 device(s) second line"}
            assert ping == {"WATCHDOG": "1"} and stop["STOPPING"] == "1"
            notifier.close()
        finally:
            listener.close()
    short.unlink(missing_ok=True)


def test_notify_without_systemd_is_silent_and_a_dead_socket_never_raises(tmp_path: Path) -> None:
    assert not SystemdNotifier.from_env({}).ready("x")
    gone = SystemdNotifier("/nonexistent/notify")
    assert not gone.ready("x") and not gone.ping()


# --------------------------------------------------------------------------- job state


def job_store(tmp_path: Path, usable: bool = True) -> JobStateStore:
    store = JobStateStore(f"sqlite:///{tmp_path}/db.sqlite", tmp_path / "state", "s1")
    if usable:
        store.use_store()
    return store


def recorded(tmp_path: Path, store: JobStateStore | None = None) -> Snapshot:
    if store is not None:
        assert store.flush()
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        with session_factory(engine)() as session:
            return load_snapshot(session, "s1") or Snapshot("s1")
    finally:
        engine.dispose()


def test_job_states_persist_with_failure_streaks(tmp_path: Path) -> None:
    store = job_store(tmp_path)
    store.daemon_started(tmp_path / "prisme-drift.toml", NOW)
    store.started("poll", NOW)
    store.succeeded("poll", NOW + timedelta(seconds=3), "poll 1: 2 ok")
    first = store.failed("poll", NOW + timedelta(minutes=15), "StoreError: disk full")
    again = store.failed("poll", NOW + timedelta(minutes=30), "StoreError: disk full")
    assert first == again == NOW + timedelta(minutes=15)  # one streak: one alert
    store.set_next_runs({"poll": NOW + timedelta(minutes=45)})

    reread = recorded(tmp_path, store).jobs["poll"]
    assert reread.last_success_at == NOW + timedelta(seconds=3)
    assert reread.last_duration_s == 3.0 and reread.consecutive_failures == 2
    assert reread.last_error == "StoreError: disk full" and reread.runs == 3
    assert reread.next_run_at == NOW + timedelta(minutes=45)
    store.succeeded("poll", NOW + timedelta(hours=1))
    later = store.failed("poll", NOW + timedelta(hours=2), "again")
    assert later == NOW + timedelta(hours=2)  # a new streak after a success
    store.close()
    # a new daemon process carries the history on: catch-up and streaks survive restarts
    restarted = job_store(tmp_path, usable=False)
    restarted.daemon_started(tmp_path / "prisme-drift.toml", NOW + timedelta(hours=3))
    restarted.use_store()
    assert restarted.get("poll").last_success_at == NOW + timedelta(hours=1)
    assert restarted.failed("poll", NOW + timedelta(hours=4), "x") == NOW + timedelta(hours=2)
    assert restarted.daemon.first_started_at == NOW


def test_job_state_survives_concurrent_writers(tmp_path: Path) -> None:
    store = job_store(tmp_path)

    def work(n: int) -> None:
        for i in range(20):
            store.started(f"job{n}", NOW + timedelta(seconds=i))
            store.succeeded(f"job{n}", NOW + timedelta(seconds=i + 1))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = recorded(tmp_path, store).jobs
    assert sorted(jobs) == ["job0", "job1", "job2", "job3"]
    assert all(job.runs == 20 for job in jobs.values())


def test_status_says_dead_when_no_process_holds_the_lock(tmp_path: Path) -> None:
    store = job_store(tmp_path)
    store.daemon_started(tmp_path / "x.toml", NOW)
    store.set_mode("running")
    store.close()
    state = tmp_path / "state"
    state.mkdir()
    (state / "daemon.lock").write_text("999999999\n")
    assert daemon_status(recorded(tmp_path), state)["daemon"]["mode"] == "dead"
    with DaemonLock(state, "s1"):
        shown = daemon_status(recorded(tmp_path), state)["daemon"]
        assert shown["mode"] == "running" and shown["running"]
        earlier = recorded(tmp_path)
        earlier.daemon.pid = 1  # the record of an earlier daemon: this one has not written yet
        shown = daemon_status(earlier, state)["daemon"]
        assert shown["mode"] == "starting" and shown["pid"] == os.getpid()


# --------------------------------------------------------------------------- daemon lock


def test_daemon_lock_is_exclusive_names_the_holder_and_is_not_inherited(tmp_path: Path) -> None:
    with DaemonLock(tmp_path, "s1") as held:
        assert held._fd is not None and not os.get_inheritable(held._fd)
        with pytest.raises(DaemonRunningError) as caught:
            DaemonLock(tmp_path, "s1").acquire()
        assert caught.value.pid == os.getpid() and f"pid {os.getpid()}" in str(caught.value)
    with DaemonLock(tmp_path, "s1"):
        pass  # released: free again


# --------------------------------------------------------------------------- schedule


def test_interval_poll_catch_up(tmp_path: Path) -> None:
    settings = load_settings(settings_with(tmp_path, '[schedule]\npoll_every = "15m"\n'))
    never = schedule.poll_plan(settings, None, NOW)
    recent = schedule.poll_plan(settings, NOW - timedelta(minutes=5), NOW)
    stale = schedule.poll_plan(settings, NOW - timedelta(hours=3), NOW)
    assert never.first_run == NOW and never.catch_up
    assert recent.first_run == NOW + timedelta(minutes=10) and not recent.catch_up
    assert stale.first_run == NOW and stale.catch_up
    assert never.grace >= 900


def test_cron_poll_and_maintenance_catch_up(tmp_path: Path) -> None:
    path = settings_with(tmp_path, '[schedule]\npoll_cron = "0 * * * *"\n')
    settings = load_settings(path)
    missed = schedule.poll_plan(settings, NOW - timedelta(minutes=90), NOW)
    half_past = NOW + timedelta(minutes=30)
    fresh = schedule.poll_plan(settings, half_past - timedelta(minutes=20), half_past)
    assert missed.catch_up and missed.first_run == NOW
    assert not fresh.catch_up and fresh.first_run is None and fresh.grace >= 3600
    plans = {
        p.job_id: p
        for p in schedule.fixed_plans(
            settings,
            {"maintenance-backup": NOW - timedelta(days=2)},
            NOW - timedelta(days=30),
            NOW,
        )
    }
    assert set(plans) == set(schedule.FIXED_JOBS)
    assert plans["maintenance-backup"].catch_up  # a nightly backup was missed
    assert plans["maintenance-backup"].grace >= 86400
    assert plans["maintenance-git"].catch_up  # never ran in 30 days of a weekly job
    assert plans["maintenance-git"].grace >= 7 * 86400
    first_day = schedule.fixed_plans(settings, {}, NOW, NOW)
    assert not [p.job_id for p in first_day if p.catch_up and p.job_id != "poll"]


# --------------------------------------------------------------------------- maintenance


def test_sqlite_backups_are_verified_and_rotated(tmp_path: Path) -> None:
    source = tmp_path / "state.sqlite"
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    conn.commit()  # left open: an online backup reads while the owner keeps its connection
    folder = tmp_path / "backups"
    made = [backup_sqlite(source, folder, 3, NOW + timedelta(days=d)) for d in range(5)]
    conn.close()
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [p.name for p in made[-3:]]
    copy = sqlite3.connect(made[-1])
    assert copy.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    copy.close()
    assert oct(made[-1].stat().st_mode & 0o777) == "0o600"


def test_sqlite_urls_and_quick_check(tmp_path: Path) -> None:
    assert sqlite_file("sqlite:////var/lib/x/state.sqlite") == Path("/var/lib/x/state.sqlite")
    assert sqlite_file("postgresql://u@h/db") is None
    assert sqlite_file("sqlite:///:memory:") is None
    garbage = tmp_path / "broken.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    assert "not a database" in (sqlite_quick_check(garbage) or "")
    assert sqlite_quick_check(tmp_path / "missing.sqlite") is None


def test_a_git_command_is_terminated_when_the_daemon_stops(tmp_path: Path) -> None:
    git_dir = tmp_path / "repo.git"
    BaselineRepo.create(git_dir)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(MaintenanceError, match=r"interrupted \(the daemon is stopping\)"):
        run_git(git_dir, ["-c", "alias.slow=!sleep 5", "slow"], stop)  # a long gc stand-in
    assert time.monotonic() - started < 3
    assert run_git(git_dir, ["rev-parse", "--git-dir"]).ok


# --------------------------------------------------------------------------- recovery


def plant_leftovers(git_dir: Path) -> list[str]:
    (git_dir / "index.lock").write_text("")
    (git_dir / "refs" / "heads" / "observed.lock").write_text("")
    (git_dir / "prisme-index.4242").write_bytes(b"DIRC")
    (git_dir / "prisme-blobs.x1").mkdir()
    (git_dir / "prisme-blobs.x1" / "0").write_text("blob")
    return ["index.lock", "refs/heads/observed.lock", "prisme-index.4242", "prisme-blobs.x1"]


def test_stale_git_leftovers_are_removed_unless_git_is_at_work(tmp_path: Path) -> None:
    git_dir = tmp_path / "baselines"
    BaselineRepo.create(git_dir)
    planted = plant_leftovers(git_dir)
    busy = subprocess.Popen(  # a live git process in the repository: its locks are real
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        cwd=git_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        comm = Path(f"/proc/{busy.pid}/comm")
        deadline = time.monotonic() + 10  # fork then exec: wait until the child *is* git
        while comm.read_text().strip() != "git" and time.monotonic() < deadline:
            time.sleep(0.01)
        removed, notes = clear_stale_git_state(git_dir, "s1")
        assert removed == [] and "still work" in notes[0]
        assert (git_dir / "index.lock").exists()
    finally:
        busy.kill()
        busy.wait()
    removed, notes = clear_stale_git_state(git_dir, "s1")
    assert sorted(removed) == sorted(planted) and notes == []
    assert not (git_dir / "refs" / "heads" / "observed.lock").exists()


@pytest.mark.lab
def test_recovery_repairs_a_poll_killed_between_git_and_database(
    lab_site: Callable[..., LabSite], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    site.device("sw01").configure(["vlan 42", " name UNTICKETED", "exit"])

    def killed(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kill -9 here: git is committed, the database is not")

    monkeypatch.setattr(poll_run, "drift_for_device", killed)
    with pytest.raises(RuntimeError):
        run_poll(site.settings, deliver=False)
    monkeypatch.undo()
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        torn_head = repo.head(OBSERVED)
        assert "vlan 42" in (repo.read_file(OBSERVED, "test-site/sw01.cfg") or "")

    report = startup_recovery(site.settings)
    assert report.degraded_reason is None
    assert any("observed moved back" in note for note in report.notes)
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        assert repo.head(OBSERVED) != torn_head
        kept = repo.repo.git.rev_parse(f"refs/prisme-drift/aborted/{torn_head}")
        assert kept == torn_head  # the orphan commit is kept, not lost
    after = run_poll(site.settings, deliver=False)
    assert {str(d.status) for d in after.devices} == {"changed"}
    assert any(i.category == "vlan" for i in after.drift)  # the change is reported, not hidden
    assert reconcile_observed(site.settings) is None  # consistent now: nothing to do


@pytest.mark.lab
def test_recovery_reads_the_newest_poll_only_and_leaves_a_recorded_head_alone(
    lab_site: Callable[..., LabSite],
) -> None:
    """At every poll, recovery asks for the newest finished poll's commit (one row, whatever
    the history), and for more rows only when ``observed`` moved past it: the commits after it
    that a poll recorded are no killed poll's, so ``observed`` stays."""
    site = lab_site(["sw01"])
    for vlan in (41, 42, 43):
        site.device("sw01").configure([f"vlan {vlan}", " name LATER", "exit"])
        run_poll(site.settings, deliver=False)
    asked: list[str] = []

    def record(conn: object, cursor: object, statement: str, *_: object) -> None:
        if "observed_commit" in statement:
            asked.append(" ".join(statement.split()))

    engine = make_engine(site.settings.database_url)
    with session_factory(engine).begin() as session:
        polls = session.execute(
            sa.select(Poll.id, Poll.observed_commit)
            .where(Poll.observed_commit.is_not(None))
            .order_by(Poll.id)
        ).all()
        assert len({p.observed_commit for p in polls}) == len(polls) == 3
        # the newest poll's row names an older commit: observed is past it, by recorded commits
        session.execute(
            sa.update(Poll).where(Poll.id == polls[-1].id).values(observed_commit=polls[0][1])
        )
    engine.dispose()
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        head = repo.head(OBSERVED)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", record)
    try:
        assert reconcile_observed(site.settings) is None
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", record)
    with BaselineRepo(site.settings.baseline_path, "test-site") as repo:
        assert repo.head(OBSERVED) == head  # not moved back over recorded commits
    assert len(asked) == 2, asked
    assert "LIMIT" in asked[0]  # the newest poll's commit only
    assert " IN (" in asked[1]  # then only the later commits, not the whole history


@pytest.mark.lab
def test_recovery_flags_a_corrupt_database(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    db = site.folder / "state" / "prisme-drift.sqlite"
    with db.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 4096)  # a torn page in the middle of the file
    report = startup_recovery(site.settings)
    assert report.degraded_reason is not None and "prisme-drift.sqlite" in report.degraded_reason


# --------------------------------------------------------------------------- ticket windows

TICKET = """\
id: CHG-1
title: new VLAN
devices: [sw01]
categories: [vlan]
start: {start}
end: {end}
rollback: "no vlan 40"
status: {status}
approval: {{by: Dr Dupont, at: 2026-01-01T10:00:00+04:00, ref: "mail"}}
"""


@pytest.mark.lab
def test_window_edges_become_one_shot_poll_jobs(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    end = start + timedelta(hours=1)
    tickets = site.folder / "tickets"
    tickets.mkdir()
    ticket = tickets / "chg-1.yaml"
    ticket.write_text(
        TICKET.format(start=start.isoformat(), end=end.isoformat(), status="approved")
    )
    daemon = Daemon(site.config_file, site.settings, 1, notifier=SystemdNotifier(None))
    daemon._start_scheduler(paused=True)
    try:
        daemon._refresh_windows()
        assert daemon.scheduler is not None
        jobs = {j.id: j.next_run_time for j in daemon.scheduler.get_jobs()}
        assert jobs["window-CHG-1-start"] == start and jobs["window-CHG-1-end"] == end
        daemon._refresh_windows()  # idempotent
        assert len([j for j in daemon.scheduler.get_jobs() if j.id.startswith("window-CHG")]) == 2
        ticket.write_text(
            TICKET.format(start=start.isoformat(), end=end.isoformat(), status="cancelled")
        )
        daemon._refresh_windows()
        assert not [j for j in daemon.scheduler.get_jobs() if j.id.startswith("window-CHG")]
        assert {j.id for j in daemon.scheduler.get_jobs()} == set(schedule.FIXED_JOBS)
    finally:
        daemon.scheduler.shutdown(wait=False)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- systemd credentials


def test_secret_paths_follow_the_systemd_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "prisme-drift.toml"
    path.write_text(
        render_default("s1").replace(
            '# credentials = "credentials.yaml"',
            'credentials = "$CREDENTIALS_DIRECTORY/devices.yaml"',
        )
    )
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/prisme-drift@s1.service")
    settings = load_settings(path)
    assert settings.credentials_path == Path(
        "/run/credentials/prisme-drift@s1.service/devices.yaml"
    )
    assert settings.resolve(Path("${CREDENTIALS_DIRECTORY}/smtp")).name == "smtp"
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    assert "$CREDENTIALS_DIRECTORY" in str(load_settings(path).credentials_path)  # left visible


# --------------------------------------------------------------------------- job events, journal


def test_failed_and_missed_jobs_alert_once_per_streak(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site="s1")
    settings = load_settings(tmp_path / "site" / "prisme-drift.toml")
    daemon = Daemon(settings.source, settings, 0, notifier=SystemdNotifier(None))

    def event(code: int, **extra: object) -> SimpleNamespace:
        return SimpleNamespace(code=code, job_id="poll", scheduled_run_time=NOW, **extra)

    daemon._on_event(event(EVENT_JOB_MISSED))
    daemon._on_event(event(EVENT_JOB_ERROR, exception=StoreError("disk full"), traceback=""))
    daemon._on_event(event(EVENT_JOB_EXECUTED, retval=JobResult("ok", "poll 3: 1 ok")))
    daemon._on_event(event(EVENT_JOB_ERROR, exception=StoreError("disk full"), traceback=""))
    daemon._on_event(event(EVENT_JOB_EXECUTED, retval=JobResult("refused", "degraded mode")))

    db = sqlite3.connect(tmp_path / "site" / "state" / "prisme-drift.sqlite")
    rows = db.execute("SELECT payload FROM events WHERE kind = 'job_failed' ORDER BY id").fetchall()
    outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    db.close()
    errors = [json.loads(r[0])["error"] for r in rows]
    assert len(errors) == 2  # two streaks; the refusal in degraded mode was alerted already
    assert errors[0].startswith("missed its run of") and errors[1] == "disk full"
    state = daemon.states.get("poll")
    assert state.consecutive_failures == 2 and state.last_error == "degraded mode"
    assert outbox == 0  # no channel configured: events are kept, nothing to send


def test_journal_lines_carry_their_priority() -> None:
    record = logging.LogRecord(
        "prisme_drift.x", logging.ERROR, "", 0, "[s1] boom\nline 2", (), None
    )
    assert JournalFormatter(journal=True).format(record) == (
        "<3>ERROR prisme_drift.x: [s1] boom\n<3>line 2"
    )
    assert JournalFormatter(journal=False).format(record).startswith("ERROR prisme_drift.x")
