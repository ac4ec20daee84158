"""``[fleet]`` settings: optional, validated, secrets refused, nothing planned without it."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prisme_drift.config import load_settings
from prisme_drift.daemon import schedule as plan
from prisme_drift.errors import ConfigError
from prisme_drift.site import init_site
from tests.clirun import run_cli

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _site(tmp_path: Path, fleet: str = "") -> Path:
    init_site(tmp_path / "s", site="s1")
    path = tmp_path / "s" / "prisme-drift.toml"
    path.write_text(path.read_text() + fleet)
    return path


def test_no_fleet_section_changes_nothing(tmp_path: Path) -> None:
    settings = load_settings(_site(tmp_path))
    assert settings.fleet is None
    ids = [job.job_id for job in plan.fixed_plans(settings, {}, None, NOW)]
    assert plan.FLEET not in ids


def test_a_fleet_section_plans_the_sync_job(tmp_path: Path) -> None:
    fleet = '\n[fleet]\nurl = "postgresql://site_s1@fleet.example.net/fleet"\nsync_every = "30m"\n'
    settings = load_settings(_site(tmp_path, fleet))
    assert settings.fleet is not None
    assert settings.fleet.sync_seconds == 1800 and settings.fleet.timeout_seconds == 60
    jobs = {job.job_id: job for job in plan.fixed_plans(settings, {}, None, NOW)}
    assert jobs[plan.FLEET].trigger.interval.total_seconds() == 1800


@pytest.mark.parametrize(
    ("fleet", "problem"),
    [
        ('url = "postgresql://s1:hunter2@db/fleet"', "no password in url"),
        ('url = "postgresql://s1@db/fleet"\npassword = "hunter2"', "never write a password"),
        ('url = "mysql://s1@db/fleet"', "PostgreSQL URL"),
        ('url = "postgresql://s1@db/fleet"\nsync_every = "soon"', "not a duration"),
        ('url = "postgresql://s1@db/fleet"\ntimout = "1m"', "unknown key"),
    ],
)
def test_bad_fleet_settings_name_the_key_and_never_echo_a_secret(
    tmp_path: Path, fleet: str, problem: str
) -> None:
    path = _site(tmp_path, f"\n[fleet]\n{fleet}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert problem in text and "[fleet" in text and "hunter2" not in text


def _prisme(*args: str) -> subprocess.CompletedProcess[str]:
    """``prisme-drift ARGS`` in this process (tests/clirun.py), without ``PRISME_FLEET_URL``."""
    return run_cli(*args, env={"PRISME_FLEET_URL": None})


def test_without_fleet_settings_the_fleet_commands_say_what_to_set(tmp_path: Path) -> None:
    path = _site(tmp_path)
    synced = _prisme("-c", str(path), "fleet", "sync")
    assert synced.returncode == 2 and "no [fleet] section" in synced.stderr
    shown = _prisme("-c", str(path), "fleet", "status")
    assert shown.returncode == 2 and "--url" in shown.stderr and "PRISME_FLEET_URL" in shown.stderr
