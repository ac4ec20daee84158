"""IT hears about a broken store even though the outbox lives in it, and a full disk at start
neither kills the daemon nor goes unreported.

The daemon is a real subprocess; mail goes to a real aiosmtpd on 127.0.0.1 (STARTTLS + AUTH);
the database is really truncated; the disk is a real tmpfs filled to the last page.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from prisme_drift.poll import run_poll
from tests.conftest import LabSite, SmallDisk
from tests.daemon.conftest import (
    DaemonProcess,
    NotifyListener,
    db_file,
    finished_polls,
    git_leftovers,
    job_states,
    set_poll_every,
    wait_until,
)
from tests.notify.conftest import (  # fixtures, used by name
    NOTIFY_QUIET,
    SmtpServer,
    add_settings,
    smtp_server,  # noqa: F401
    tls_files,  # noqa: F401
)

# one real daemon at a time under pytest-xdist: each start keeps a core busy (tests/conftest.py)
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("daemon")]

Daemons = Callable[..., DaemonProcess]


def with_mail(site: LabSite, server: SmtpServer, *, retry: str = "1s") -> None:
    """Alerts to ``server``; outbox and retries every second so that the test stays short."""
    add_settings(site, NOTIFY_QUIET + "\n" + server.toml(site.folder))
    text = site.config_file.read_text()
    text = text.replace('outbox_every = "1m"', 'outbox_every = "1s"')
    text = text.replace('retry_every = "1m"', f'retry_every = "{retry}"')
    site.config_file.write_text(text)
    set_poll_every(site, "1s")


def store_mails(server: SmtpServer) -> list[str]:
    """Subjects of the out-of-store alerts (header folding may double a space: undone)."""
    subjects = [" ".join(m.subject.split()) for m in server.received]
    return [s for s in subjects if "surveillance suspendue" in s]


def truncate(path: Path) -> None:
    """Cut the database file in half, as a crash of the file system would."""
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def test_a_truncated_database_alerts_it_once_without_the_outbox_spooled_until_the_relay_is_up(
    lab_site: Callable[..., LabSite],
    smtp_server: Callable[..., SmtpServer],  # noqa: F811
    notify: NotifyListener,
    daemons: Daemons,
) -> None:
    site = lab_site(["sw01"])
    server = smtp_server("starttls", auth=True, start=False)  # the relay is down at first
    with_mail(site, server)
    run_poll(site.settings, deliver=False)
    run_poll(site.settings, deliver=False)
    truncate(db_file(site))
    spool = site.folder / "state" / "alerts-spool"

    daemon = daemons(site, notify).start()
    assert notify.wait_for("READY")["STATUS"].startswith("DEGRADED")
    wait_until(lambda: list(spool.glob("*.json")), 30, "the spooled alert")
    assert [p.stat().st_mode & 0o777 for p in spool.glob("*.json")] == [0o600]

    server.start()
    wait_until(lambda: store_mails(server), 30, "the spooled alert, delivered")
    wait_until(lambda: not list(spool.glob("*.json")), 10, "the spool emptied")
    time.sleep(4)  # four outbox runs, four poll periods: still one mail
    assert daemon.alive()

    assert store_mails(server) == [
        "[prisme-drift] test-site : surveillance suspendue, base de données corrompue"
    ]
    mail = next(m for m in server.received if "surveillance suspendue" in m.subject)
    assert str(db_file(site)) in mail.text  # what is broken
    assert "dernière sauvegarde" in mail.text and "state/backups/" in mail.text  # what to do
    assert "une seule fois par incident" in mail.text
    assert str(db_file(site)) in mail.html
    assert daemon.output().count("DEGRADED:") == 1
    daemon.stop()


def test_a_full_disk_at_start_is_reported_once_and_retried_until_space_is_back(
    lab_site: Callable[..., LabSite],
    smtp_server: Callable[..., SmtpServer],  # noqa: F811
    small_disk: SmallDisk,
    notify: NotifyListener,
    daemons: Daemons,
) -> None:
    site = lab_site(["sw01"], parent=small_disk.path)
    server = smtp_server("starttls", auth=True)
    with_mail(site, server, retry="2s")
    run_poll(site.settings, deliver=False)
    polls = finished_polls(site)
    small_disk.fill()

    daemon = daemons(site, notify).start(WATCHDOG_USEC="2000000")
    status = notify.wait_for("READY", timeout=30)["STATUS"]
    assert status.startswith("DEGRADED") and "disk is full" in status, status
    assert "retrying every 2s" in status
    wait_until(lambda: store_mails(server), 30, "the disk-full alert")
    time.sleep(6)  # three retries, six poll periods
    assert daemon.alive(), daemon.output()  # no crash, no restart loop
    assert store_mails(server) == [
        "[prisme-drift] test-site : surveillance suspendue, disque plein"
    ]
    mail = next(m for m in server.received if "disque plein" in m.subject)
    assert "Libérer de la place" in mail.text and "2s" in mail.text
    assert daemon.output().count("DEGRADED:") == 1  # the journal says it once too
    assert "Traceback" not in daemon.output()
    assert "job poll refused: degraded mode" in daemon.output()  # nothing written meanwhile
    assert len(notify.with_key("WATCHDOG")) >= 3  # systemd sees it alive

    assert job_states(site) == {}  # nothing written to the store while the disk is full

    small_disk.free()
    daemon.wait_log("stores sound again: leaving degraded mode", timeout=30)
    # what happened meanwhile was kept in memory, and is written now that the store is usable
    state = wait_until(
        lambda: job_states(site).get("daemon", {}).get("mode") == "running" and job_states(site),
        30,
        "the job state written once space is back",
    )
    assert "disk is full" in state["jobs"]["integrity"]["last_error"]
    wait_until(lambda: finished_polls(site) > polls, 30, "polls once space is back")
    code = daemon.stop(signal.SIGTERM)[0]
    assert code == 0
    assert git_leftovers(site) == []
