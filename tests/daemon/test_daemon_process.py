"""The daemon as systemd runs it: a subprocess, a notify socket, signals, kill -9 and restarts.

Polls every 1-2 s against simulated devices over real SSH; every wait is bounded and polled.
"""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from prisme_drift_lab import LabDevice

from prisme_drift.demo import write_inventory
from prisme_drift.poll import run_poll
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.daemon.conftest import (
    ROOT,
    DaemonProcess,
    NotifyListener,
    commits,
    finished_polls,
    git,
    git_leftovers,
    git_processes_under,
    job_states,
    query,
    set_poll_every,
    wait_until,
)

# one real daemon at a time under pytest-xdist: each start keeps a core busy (tests/conftest.py)
pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("daemon")]

Daemons = Callable[..., DaemonProcess]


def vlans(first: int, count: int) -> list[str]:
    """A big change: ``count`` VLAN definitions with long names."""
    lines = []
    for n in range(first, first + count):
        lines += [f"vlan {n}", f" name SOAK-{n}-{'x' * 20}", "exit"]
    return lines


#: systemd kills the daemon (SIGKILL) when it has not stopped this long after SIGTERM
STOP_TIMEOUT = 30.0


def test_the_stop_bound_is_the_units() -> None:
    unit = (Path(__file__).parents[2] / "systemd" / "prisme-drift@.service").read_text()
    assert f"TimeoutStopSec={STOP_TIMEOUT:.0f}s" in unit


def assert_clean_exit(site: LabSite, code: int, seconds: float) -> None:
    assert code == 0, f"exit code {code}"
    # stopped before systemd would have killed it: a contract with the unit, not a speed goal
    assert seconds < STOP_TIMEOUT, f"stopping took {seconds:.1f}s"
    assert git_processes_under(site.folder) == []
    assert git_leftovers(site) == []
    assert job_states(site)["daemon"]["mode"] == "stopped"


def test_ready_polls_reload_and_clean_stop(
    lab_site: Callable[..., LabSite], notify: NotifyListener, daemons: Daemons
) -> None:
    site = lab_site(["sw01"])
    set_poll_every(site, "1s")
    daemon = daemons(site, notify).start(WATCHDOG_USEC="1000000")

    ready = notify.wait_for("READY", timeout=30)
    assert ready["READY"] == "1" and ready["STATUS"].startswith("watching: 1 device(s)")
    # polls on schedule: the catch-up poll at once, then one a second
    wait_until(lambda: finished_polls(site) >= 4, 20, "4 polls")
    starts = [r[0] for r in query(site, "SELECT started_at FROM polls ORDER BY id")]
    assert commits(site) == 1  # nothing changed after the first poll: one commit only
    pings = [t for t, _ in notify.with_key("WATCHDOG")]
    assert (
        len(pings) >= 3 and max(b - a for a, b in itertools.pairwise(pings)) < 1.0
    )  # WATCHDOG_USEC
    gaps = [
        (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()
        for a, b in itertools.pairwise(starts[:4])
    ]
    # never sooner than the schedule (how late depends on the machine's load: not asserted)
    assert all(gap >= 0.8 for gap in gaps), gaps

    # a second daemon for the same site refuses to start, names the first, leaves it running
    second = subprocess.run(
        [sys.executable, "-m", "prisme_drift", "-c", str(site.config_file), "daemon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert second.returncode == 6  # busy, as every command (docs/cli.md)
    assert f"pid {daemon.pid}" in second.stderr and "already running" in second.stderr
    assert daemon.alive()

    # SIGHUP: a new device and a slower schedule
    site.lab.add_device(LabDevice(name="sw02", password=site.password))
    write_inventory(site.folder, site.lab, site.password)
    set_poll_every(site, "2s")
    daemon.send(signal.SIGHUP)
    daemon.wait_log("configuration reloaded: 2 device(s), a poll every 2s")
    wait_until(
        lambda: query(site, "SELECT last_success_at FROM devices WHERE name = 'sw02'"),
        20,
        "a poll of the new device sw02",
    )
    assert "RELOADING" in notify.with_key("RELOADING")[-1][1]

    # an inventory edited without SIGHUP never reaches a poll; a broken one is refused at SIGHUP
    hosts = site.folder / "inventory" / "hosts.yaml"
    good_hosts = hosts.read_text()
    hosts.write_text(good_hosts.replace("platform: ios", "platform: nosuchos"))
    before = finished_polls(site)
    wait_until(lambda: finished_polls(site) >= before + 1, 20, "a poll on the copied inventory")
    daemon.send(signal.SIGHUP)
    daemon.wait_log("reload refused, the running configuration stays")
    hosts.write_text(good_hosts)
    good_settings = site.config_file.read_text()
    site.config_file.write_text(good_settings + "\n[schedule\n")
    daemon.send(signal.SIGHUP)
    wait_until(lambda: daemon.output().count("reload refused") >= 2, 20, "a second refusal")
    assert "not valid TOML" in daemon.output()
    site.config_file.write_text(good_settings)
    hosts.write_text("# every device commented out\n{}\n")  # an inventory emptied under it
    daemon.send(signal.SIGHUP)
    wait_until(lambda: daemon.output().count("reload refused") >= 3, 20, "a third refusal")
    assert f"{hosts}: no device defined" in daemon.output()
    assert daemon.output().count("configuration reloaded") == 1  # only the good reload
    hosts.write_text(good_hosts)
    refused_at = finished_polls(site)
    wait_until(lambda: finished_polls(site) >= refused_at + 2, 20, "polls after the refusals")
    assert daemon.alive()
    last = query(site, "SELECT d.name, p.status FROM device_polls p JOIN devices d "
                 "ON d.id = p.device_id ORDER BY p.id DESC LIMIT 2")  # fmt: skip
    assert {row[1] for row in last} == {"unchanged"}  # the copied inventory's devices
    assert {row[0] for row in last} <= {"sw01", "sw02"}

    code, seconds = daemon.stop(signal.SIGTERM)
    assert_clean_exit(site, code, seconds)
    assert notify.with_key("STOPPING")

    site.config_file.write_text(good_settings)
    status = run_cli("status", "--json", config=site.config_file, cwd=ROOT)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)["daemon"]
    assert shown["daemon"]["mode"] == "stopped" and not shown["daemon"]["running"]
    assert shown["jobs"]["poll"]["last_success_at"] and shown["jobs"]["poll"]["runs"] >= 6
    assert shown["jobs"]["outbox"]["last_outcome"] == "ok"


def test_sigterm_during_a_hung_poll_cancels_it_and_writes_nothing(
    lab_site: Callable[..., LabSite], notify: NotifyListener, daemons: Daemons
) -> None:
    site = lab_site(["sw01", "sw02"])
    set_poll_every(site, "1s")
    daemon = daemons(site, notify).start()
    notify.wait_for("READY")
    wait_until(lambda: finished_polls(site) >= 1, 20, "the first poll")
    polls, observed = finished_polls(site), commits(site)

    site.device("sw02").configure(["vlan 250", " name WOULD-BE-COMMITTED", "exit"])
    site.device("sw01").fault = "hang"  # the next poll waits on sw01 (time limit 20 s)
    wait_until(
        lambda: (
            job_states(site).get("jobs", {}).get("poll", {}).get("running_since")
            and finished_polls(site) == polls
        ),
        20,
        "a poll stuck on the hung device",
    )
    time.sleep(1.0)  # sw02 is fetched by now; sw01 hangs
    code, seconds = daemon.stop(signal.SIGTERM)
    # the shutdown did not wait for the hung device's time limit (20 s) to run out
    assert code == 0 and seconds < 20, (code, seconds)
    assert "cancelled at shutdown after collecting; nothing written" in daemon.output()
    assert finished_polls(site) == polls and commits(site) == observed
    assert git_processes_under(site.folder) == [] and git_leftovers(site) == []

    site.device("sw01").fault = None
    restarted = daemons(site, notify).start()
    wait_until(lambda: commits(site) == observed + 1, 30, "the change committed after restart")
    assert "vlan 250" in git(site, "show", "observed:test-site/sw02.cfg").stdout
    assert_clean_exit(site, *restarted.stop())


def test_kill9_during_commits_then_restart_recovers(
    lab_site: Callable[..., LabSite], notify: NotifyListener, daemons: Daemons
) -> None:
    site = lab_site(["sw01", "sw02"])
    set_poll_every(site, "1s")
    rng = random.Random(6)
    daemon = daemons(site, notify).start()
    wait_until(lambda: finished_polls(site) >= 1, 30, "the first poll")
    for round_ in range(3):  # big changes, killed at random moments of the cycle
        site.device("sw01").configure(vlans(100 + round_ * 100, 60))
        time.sleep(rng.uniform(0.2, 1.5))
        daemon.kill9()
        daemon = daemons(site, notify).start()
        daemon.wait_log("daemon ready", timeout=30)
    daemon.kill9()
    # what a kill in the middle of a commit leaves behind
    base = site.settings.baseline_path
    (base / "index.lock").write_text("")
    (base / "packed-refs.lock").write_text("")
    (base / "refs" / "heads" / "observed.lock").write_text("0" * 40 + "\n")
    (base / "prisme-index.99999").write_bytes(b"DIRC")
    (base / "prisme-blobs.dead").mkdir()
    (base / "prisme-blobs.dead" / "0").write_text("half a blob")
    site.device("sw02").configure(["vlan 777", " name AFTER-THE-CRASH", "exit"])

    daemon = daemons(site, notify).start()
    daemon.wait_log("daemon ready", timeout=30)
    wait_until(
        lambda: "vlan 777" in git(site, "show", "observed:test-site/sw02.cfg").stdout,
        30,
        "the next poll to commit sw02's change",
    )
    assert "removed stale refs/heads/observed.lock" in daemon.output()
    assert git(site, "fsck", "--no-dangling").returncode == 0
    config = git(site, "show", "observed:test-site/sw01.cfg").stdout
    assert "vlan 359" in config  # every change made before the kills is there in the end
    assert_clean_exit(site, *daemon.stop())


def test_a_corrupt_baseline_puts_the_daemon_in_degraded_mode(
    lab_site: Callable[..., LabSite], notify: NotifyListener, daemons: Daemons
) -> None:
    site = lab_site(["sw01"])
    set_poll_every(site, "1s")
    run_poll(site.settings, deliver=False)
    objects = [p for p in (site.settings.baseline_path / "objects").rglob("*") if p.is_file()]
    victim = objects[0]
    victim.chmod(0o644)
    original = victim.read_bytes()
    victim.write_bytes(b"\0" * 10)  # a loose object emptied by a power cut
    polls = finished_polls(site)

    daemon = daemons(site, notify).start()
    ready = notify.wait_for("READY")
    assert ready["STATUS"].startswith("DEGRADED")
    time.sleep(3)  # three poll periods: none may run
    assert finished_polls(site) == polls
    state = job_states(site)
    assert (
        state["daemon"]["mode"] == "degraded" and "git fsck" in state["daemon"]["degraded_reason"]
    )
    events = query(site, "SELECT kind, payload FROM events WHERE kind = 'job_failed'")
    assert len(events) == 1 and json.loads(events[0][1])["job"] == "integrity"

    victim.write_bytes(original)  # repaired (restored from a copy); then a reload re-checks
    daemon.send(signal.SIGHUP)
    daemon.wait_log("stores sound again: leaving degraded mode")
    wait_until(lambda: finished_polls(site) > polls, 20, "polls after the repair")
    assert job_states(site)["daemon"]["mode"] == "running"
    assert_clean_exit(site, *daemon.stop())


def test_check_command_reports_each_device(
    lab_site: Callable[..., LabSite], tmp_path: Path
) -> None:
    site = lab_site(["sw01", "sw02", "sw03"])

    def check() -> subprocess.CompletedProcess[str]:
        return run_cli("check", "--json", config=site.config_file, cwd=ROOT)

    good = check()
    assert good.returncode == 0, good.stderr
    data = json.loads(good.stdout)
    assert [d["prompt"] for d in data["devices"]] == ["sw01#", "sw02#", "sw03#"]
    site.device("sw02").password = "not-the-password"
    site.lab.stop_device("sw03")
    bad = check()
    assert bad.returncode == 4
    rows = {d["device"]: d for d in json.loads(bad.stdout)["devices"]}
    assert rows["sw01"]["ok"] and rows["sw02"]["login"] == "failed (auth)"
    assert rows["sw03"]["failed_at"] == "tcp" and "unreachable" in rows["sw03"]["tcp"]
    assert not (site.folder / "state" / "known_hosts").exists()  # check never pins a key
    (site.folder / "inventory" / "hosts.yaml").write_text("sw01: {platform: nosuchos}\n")
    assert check().returncode == 2
