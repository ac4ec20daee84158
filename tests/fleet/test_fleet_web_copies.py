"""A site copies what the web page shows: its devices' latest states and its documents' bytes,
once per content, only into its own rows, and resumes a copy cut short."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from prisme_drift.config import load_settings
from prisme_drift.errors import FleetError
from prisme_drift.fleet import copies, schema
from prisme_drift.fleet.central import central_engine
from prisme_drift.fleet.sync import _Run, sync_site, upsert
from prisme_drift.poll import run_poll
from tests.conftest import LabSite
from tests.fleet.conftest import Central
from tests.fleet.test_fleet_sync import VLAN_CHANGE, fleet_site

pytestmark = [pytest.mark.lab, pytest.mark.postgres]


def git_state(site: LabSite, device: str) -> str:
    """``git show observed:<site>/<device>.state.json`` of the site's baseline."""
    path = f"observed:{site.settings.site.name}/{device}.state.json"
    return subprocess.run(
        ["git", "--git-dir", str(site.settings.baseline_path), "show", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def central_states(central: Central, site: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """device name -> (sha256, state) as the central database holds them."""
    states, devices = schema.device_states, schema.devices
    query = (
        select(devices.c.name, states.c.sha256, states.c.state)
        .join(devices, (devices.c.site == states.c.site) & (devices.c.id == states.c.device_id))
        .where(states.c.site == site)
    )
    with central.engine.connect() as connection:
        return {name: (sha, state) for name, sha, state in connection.execute(query)}


def central_documents(central: Central, site: str) -> dict[str, bytes]:
    table = schema.report_contents
    query = select(table.c.path, table.c.content).where(table.c.site == site)
    with central.engine.connect() as connection:
        return {path: bytes(content) for path, content in connection.execute(query)}


def sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def reports(site: LabSite) -> Path:
    folder = site.settings.resolve(site.settings.report.output)
    (folder / "interventions").mkdir(parents=True, exist_ok=True)
    return folder


def test_states_and_documents_are_copied_once_per_content(
    lab_site: Callable[..., LabSite], central: Central
) -> None:
    site = fleet_site(lab_site, central, "clinic-w1", ["sw01", "sw02"])
    folder = reports(site)
    audit = folder / "audit-2026-12-01.pdf"
    audit.write_bytes(b"%PDF-1.7\n" + os.urandom(50_000))
    (folder / "interventions" / "CHG-1.html").write_text("<html>CR</html>")
    assert run_poll(site.settings).exit_code == 0

    first = sync_site(site.settings)
    assert first.rows["device_states"] == 2 and first.rows["report_contents"] == 2
    states = central_states(central, "clinic-w1")
    for device in ("sw01", "sw02"):
        text = git_state(site, device)
        assert states[device] == (sha(text), json.loads(text))
    assert central_documents(central, "clinic-w1") == {
        "audit-2026-12-01.pdf": audit.read_bytes(),
        "interventions/CHG-1.html": b"<html>CR</html>",
    }

    again = sync_site(site.settings)  # nothing changed: nothing copied
    assert again.rows["device_states"] == 0 and again.rows["report_contents"] == 0
    os.utime(audit)  # touched, same bytes: read again, not copied again
    assert sync_site(site.settings).rows["report_contents"] == 0

    site.device("sw01").configure(VLAN_CHANGE)
    assert run_poll(site.settings).exit_code == 3
    audit.write_bytes(b"%PDF-1.7\nsecond version\n")
    changed = sync_site(site.settings)
    assert changed.rows["device_states"] == 1 and changed.rows["report_contents"] == 1
    states = central_states(central, "clinic-w1")
    assert states["sw01"][0] == sha(git_state(site, "sw01"))
    assert 40 in {vlan["id"] for vlan in states["sw01"][1]["vlans"]}
    assert central_documents(central, "clinic-w1")["audit-2026-12-01.pdf"] == (
        b"%PDF-1.7\nsecond version\n"
    )


def test_a_document_over_the_cap_is_skipped_with_a_warning_naming_it(
    lab_site: Callable[..., LabSite], central: Central, caplog: pytest.LogCaptureFixture
) -> None:
    site = fleet_site(lab_site, central, "clinic-w2", ["sw01"])
    site.config_file.write_text(site.config_file.read_text() + "max_report_bytes = 1000\n")
    site.settings = load_settings(site.config_file)
    folder = reports(site)
    (folder / "big-2026-11.pdf").write_bytes(b"x" * 1001)
    (folder / "small-2026-11.pdf").write_bytes(b"y" * 1000)
    with caplog.at_level(logging.WARNING, logger="prisme_drift.fleet.copies"):
        report = sync_site(site.settings)
    assert report.rows["report_contents"] == 1
    assert set(central_documents(central, "clinic-w2")) == {"small-2026-11.pdf"}
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(folder / "big-2026-11.pdf") in warning and "max_report_bytes" in warning
    with central.engine.connect() as connection:  # still listed, with its size
        listed = connection.execute(
            select(schema.report_files.c.path).where(schema.report_files.c.site == "clinic-w2")
        ).scalars()
        assert set(listed) == {"big-2026-11.pdf", "small-2026-11.pdf"}


def test_a_copy_cut_short_resumes_with_what_is_missing(
    lab_site: Callable[..., LabSite], central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = fleet_site(lab_site, central, "clinic-w3", ["sw01", "sw02"])
    folder = reports(site)
    for month in range(1, 5):
        (folder / f"monthly-2026-{month:02d}.pdf").write_bytes(os.urandom(1000 + month))
    assert run_poll(site.settings).exit_code == 0
    monkeypatch.setattr(copies, "STATE_BATCH", 1)
    monkeypatch.setattr(copies, "CONTENT_BATCH_BYTES", 1500)  # one document per transaction
    original = _Run.check_time
    tables: list[str] = []

    def run_out_of_time(run: _Run, table: str) -> None:
        tables.append(table)
        if tables.count("report_contents") == 3:  # two documents copied, then time is up
            run.deadline = 0.0
        original(run, table)

    monkeypatch.setattr(_Run, "check_time", run_out_of_time)
    with pytest.raises(FleetError, match="gave up at table report_contents"):
        sync_site(site.settings)
    assert tables.count("device_states") == 2  # one transaction per state
    assert len(central_documents(central, "clinic-w3")) == 2
    monkeypatch.setattr(_Run, "check_time", original)
    resumed = sync_site(site.settings)
    assert resumed.rows["report_contents"] == 2 and resumed.rows["device_states"] == 0
    assert central_documents(central, "clinic-w3") == {
        p.name: p.read_bytes() for p in folder.glob("*.pdf")
    }


def _state_row(site: str) -> dict[str, Any]:
    return {
        "site": site,
        "device_id": 1,
        "collected_at": "2026-12-01T08:00:00+00:00",
        "sha256": "0" * 64,
        "state": {"device": "sw1"},
    }


def test_a_site_role_cannot_read_another_sites_states_or_documents(central: Central) -> None:
    a, b = central.site_role("site-wa"), central.site_role("site-wb")
    for role in (a, b):
        engine = central_engine(role.url, role.password, 10)
        try:
            with engine.begin() as connection:
                upsert(connection, schema.device_states, [_state_row(role.site)])
                upsert(
                    connection,
                    schema.report_contents,
                    [{"site": role.site, "path": "a.pdf", "sha256": "1" * 64, "content": b"%P"}],
                )
        finally:
            engine.dispose()
    engine = central_engine(b.url, b.password, 10)
    try:
        with engine.connect() as connection:
            for table in (schema.device_states, schema.report_contents):
                assert connection.execute(select(table.c.site)).scalars().all() == ["site-wb"]
            assert copies.copied_states(connection, "site-wa") == {}
            assert copies.copied_documents(connection, "site-wa") == {}
    finally:
        engine.dispose()
    with central.engine.connect() as connection:  # the owner sees both
        sites = connection.execute(select(schema.report_contents.c.site)).scalars().all()
        assert {"site-wa", "site-wb"} <= set(sites)
