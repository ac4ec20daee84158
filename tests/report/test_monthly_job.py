"""The daemon's ``monthly-report`` job: its schedule and catch-up, its body (write, send once),
and its failures (raised, so that the daemon alerts ``job_failed``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prisme_drift.config import load_settings
from prisme_drift.daemon import schedule
from prisme_drift.daemon.monthly import monthly_report_job
from prisme_drift.errors import OperationalError
from prisme_drift.site import init_site
from tests.notify import conftest as notify_fixtures
from tests.notify.conftest import SmtpServer
from tests.report.monthly_history import History

tls_files = notify_fixtures.tls_files
smtp_server = notify_fixtures.smtp_server
DEC_2 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 10:00 in La Réunion, the day after the run


def _settings(tmp_path: Path, report: str = "") -> Path:
    init_site(tmp_path / "site", site="cabinet-test")
    config = tmp_path / "site" / "prisme-drift.toml"
    kept = [line for line in config.read_text().splitlines() if not line.startswith("monthly_")]
    config.write_text("\n".join(kept).replace("[report]", "[report]\n" + report, 1) + "\n")
    return config


def _plan(
    config: Path, last: datetime | None, started: datetime, now: datetime
) -> schedule.JobPlan:
    plans = schedule.fixed_plans(load_settings(config), {schedule.MONTHLY: last}, started, now)
    return {p.job_id: p for p in plans}[schedule.MONTHLY]


def test_scheduled_on_monthly_day_and_caught_up_once(tmp_path: Path) -> None:
    config = _settings(tmp_path, 'monthly_day = 3\nmonthly_time = "08:30"\n')
    assert schedule.monthly_crontab(load_settings(config)) == "30 8 3 * *"
    # off on the 3rd at 08:30 (local), back on the 4th: caught up at start
    missed = _plan(config, datetime(2026, 11, 3, 5, tzinfo=UTC), DEC_2 - timedelta(days=40),
                   datetime(2026, 12, 4, 6, tzinfo=UTC))  # fmt: skip
    assert missed.catch_up and missed.first_run is not None
    # it ran on the 3rd: nothing to catch up the next day
    done = _plan(config, datetime(2026, 12, 3, 4, 31, tzinfo=UTC), DEC_2 - timedelta(days=40),
                 datetime(2026, 12, 4, 6, tzinfo=UTC))  # fmt: skip
    assert not done.catch_up and done.first_run is None
    assert done.grace >= 28 * 86400  # a late run is coalesced, never dropped


def test_the_default_is_the_first_at_seven(tmp_path: Path) -> None:
    assert schedule.monthly_crontab(load_settings(_settings(tmp_path))) == "0 7 1 * *"


@pytest.mark.parametrize("bad", ["monthly_day = 31", 'monthly_time = "7h"'])
def test_bad_monthly_settings_are_refused_with_the_key(tmp_path: Path, bad: str) -> None:
    from prisme_drift.errors import ConfigError

    with pytest.raises(ConfigError, match="monthly_"):
        load_settings(_settings(tmp_path, bad + "\n"))


@pytest.mark.lab
def test_the_job_writes_and_sends_once(
    monthly_history: History, tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls", auth=True)
    folder = tmp_path / "site"
    shutil.copytree(monthly_history.site.folder, folder)
    config = folder / "prisme-drift.toml"
    config.write_text(config.read_text() + "\n" + server.toml(folder))
    settings = load_settings(config)
    outcome, note = monthly_report_job(settings, DEC_2)
    assert outcome == "ok" and "sent to it@example.net" in note, note
    assert (folder / "reports" / "test-site-2026-11.pdf").exists()
    again, note = monthly_report_job(settings, DEC_2 + timedelta(hours=1))  # a restart's catch-up
    assert again == "ok" and "already sent" in note
    documents = [m for m in server.received if list(m.message.iter_attachments())]
    assert len(documents) == 1


@pytest.mark.lab
def test_a_failure_raises_for_job_failed(monthly_history: History, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    shutil.copytree(monthly_history.site.folder, folder)
    shutil.rmtree(folder / "reports", ignore_errors=True)
    (folder / "reports").write_text("a file where the reports folder should be")
    with pytest.raises(OperationalError, match="cannot write the report"):
        monthly_report_job(load_settings(folder / "prisme-drift.toml"), DEC_2)


def test_a_month_before_the_first_poll_is_skipped(tmp_path: Path) -> None:
    outcome, note = monthly_report_job(load_settings(_settings(tmp_path)), DEC_2)
    assert outcome == "skipped" and "no poll of site cabinet-test in 2026-11" in note
