"""Host keys over real SSH to the lab: known_hosts parsed once, keys checked in memory.

A poll used to parse the whole known_hosts file twice per device (our own check and the strict
client's ``load_host_keys``), a cost quadratic in the number of devices. The keys are now parsed
once per version of the file; a changed key still blocks the device, before any login.
"""

from __future__ import annotations

from collections.abc import Callable

import paramiko
import pytest

from prisme_drift.models import DeviceStatus
from prisme_drift.poll import run_poll
from tests.conftest import LabSite

pytestmark = pytest.mark.lab


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every known_hosts file paramiko parses (the real parser runs)."""
    seen: list[str] = []
    real = paramiko.HostKeys.load

    def load(self: paramiko.HostKeys, filename: str) -> None:
        seen.append(filename)
        real(self, filename)

    monkeypatch.setattr(paramiko.HostKeys, "load", load)
    return seen


def test_a_poll_parses_known_hosts_once_not_per_device(
    lab_site: Callable[..., LabSite], parses: list[str]
) -> None:
    site = lab_site(["sw01", "sw02", "sw03", "sw04"])
    first = run_poll(site.settings, deliver=False)
    assert {str(d.status) for d in first.devices} == {"ok"}
    known_hosts = site.settings.state_path / "known_hosts"
    assert len(known_hosts.read_text().splitlines()) == 4  # learned on first use
    parses.clear()
    again = run_poll(site.settings, deliver=False)
    assert {d.status for d in again.devices} == {DeviceStatus.UNCHANGED}
    assert len(parses) <= 1, parses  # was 2 per device: 8


def test_a_key_changed_on_file_by_another_process_is_seen(
    lab_site: Callable[..., LabSite],
) -> None:
    """The in-memory keys follow the file: an edit made elsewhere blocks the next poll."""
    site = lab_site(["sw01", "sw02"])
    run_poll(site.settings, deliver=False)
    known_hosts = site.settings.state_path / "known_hosts"
    port = site.device("sw01").port
    other = paramiko.ECDSAKey.generate()
    lines = [
        line
        for line in known_hosts.read_text().splitlines()
        if not line.startswith(f"[127.0.0.1]:{port} ")
    ]
    lines.append(f"[127.0.0.1]:{port} {other.get_name()} {other.get_base64()}")
    known_hosts.write_text("\n".join(lines) + "\n")
    attempts = site.device("sw01").password_attempts
    report = run_poll(site.settings, deliver=False)
    outcome = {d.name: d for d in report.devices}
    assert outcome["sw01"].status == DeviceStatus.FAILED
    assert outcome["sw01"].error_kind == "hostkey"
    assert site.device("sw01").password_attempts == attempts  # refused before any login
    assert outcome["sw02"].status == DeviceStatus.UNCHANGED
