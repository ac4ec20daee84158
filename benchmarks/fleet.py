#!/usr/bin/env python3
"""Benchmark: a provider's central fleet database (goals: ``fleet status`` < 200 ms, one site's
daily sync < 2 s, a client's fleet monthly report < 30 s).

    PRISME_TEST_PG_URL=$(bash .ci/pg-start) .venv/bin/python benchmarks/fleet.py \
        [--sites 200] [--devices 25] [--days 365] [--keep]

Generates (not polls) a synthetic provider in a new database of the PostgreSQL at
``$PRISME_TEST_PG_URL``: every site with its devices, a poll every 15 minutes for a year, one
``device_days`` row per device and day (2 % of them with failures), about 3 events a day, 60
drift items a year (10 % still open), 100 audit entries and 12 monthly reports per site. Then:

* the database size;
* ``fleet status`` (the same code as ``prisme-drift fleet status --json``): median of 5 runs;
* one site's daily sync: a real site store (SQLite) with a day of history (96 polls x 25
  devices) syncs through the site's own role (row-level security on), after a first full copy.

* a client's fleet monthly report (``fleet report monthly --client "Client 1"``, PDF and HTML).

``--keep`` leaves the database (its name is printed); otherwise it is dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

END = datetime(2026, 12, 1, tzinfo=UTC)

GENERATE = """
INSERT INTO sites (site, client, timezone, sync_every_s, last_sync_at, last_poll_at)
SELECT 'site-' || s, 'Client ' || (s % 50), 'Indian/Reunion', 3600, :end, :end
FROM generate_series(1, :sites) s;

INSERT INTO devices (site, id, name, platform, hostname, last_poll_at, last_status,
                     last_success_at, consecutive_failures)
SELECT 'site-' || s, d, 'sw' || d, 'ios', '10.0.0.' || d, :end,
       CASE WHEN (s * d) % 97 = 0 THEN 'failed' ELSE 'unchanged' END, :end, 0
FROM generate_series(1, :sites) s, generate_series(1, :devices) d;

INSERT INTO polls (site, id, started_at, finished_at, trigger, summary)
SELECT 'site-' || s, p, :end - (p * interval '15 minutes'),
       :end - (p * interval '15 minutes') + interval '40 seconds', 'daemon', '{}'::json
FROM generate_series(1, :sites) s, generate_series(1, :days * 96) p;

INSERT INTO device_days (site, device_id, day, polls, ok, unchanged, changed, failed,
                         quarantined, duration_s, last_status, last_at)
SELECT 'site-' || s, d, (:end - day * interval '1 day')::date, 96, 0,
       CASE WHEN (s + d + day) % 50 = 0 THEN 90 ELSE 95 END, 1,
       CASE WHEN (s + d + day) % 50 = 0 THEN 5 ELSE 0 END, 0, 96 * 2.5, 'unchanged',
       :end - day * interval '1 day'
FROM generate_series(1, :sites) s, generate_series(1, :devices) d, generate_series(1, :days) day;

INSERT INTO events (site, id, kind, dedupe_key, device, payload, created_at)
SELECT 'site-' || s, e, 'drift_opened', 'drift_opened:' || e, 'sw1', '{}'::json,
       :end - (e * interval '8 hours')
FROM generate_series(1, :sites) s, generate_series(1, :days * 3) e;

INSERT INTO drift_items (site, id, device_id, fingerprint, category, path, removed, added,
                         verdict, reason, opened_at, last_seen_at, closed_at, close_reason)
SELECT 'site-' || s, i, 1 + i % :devices, md5(s || ':' || i), 'vlan', '[]'::json, '[]'::json,
       '["vlan 40"]'::json, CASE WHEN i % 3 = 0 THEN 'unauthorized' ELSE 'authorized' END,
       CASE WHEN i % 3 = 0 THEN 'no_ticket' END, :end - (i * interval '6 days'), :end,
       CASE WHEN i % 10 = 0 THEN NULL ELSE :end - (i * interval '6 days') + interval '1 day' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'reverted' END
FROM generate_series(1, :sites) s, generate_series(1, :days * 60 / 365) i;

INSERT INTO audit_entries (site, id, at, actor, action, subject, details, prev_hash, hash)
SELECT 'site-' || s, a, :end - (a * interval '3 days'), 'tech', 'ticket_approved', 'CHG-' || a,
       '{}'::json, md5('p' || s || a), md5(s || ':' || a)
FROM generate_series(1, :sites) s, generate_series(1, 100) a;

INSERT INTO report_files (site, path, kind, size, sha256, modified_at)
SELECT 'site-' || s, 'site-' || s || '-2026-' || lpad(m::text, 2, '0') || '.pdf', 'monthly',
       250000, md5(s || ':' || m), :end - (m * interval '30 days')
FROM generate_series(1, :sites) s, generate_series(1, 12) m;
"""


def _admin_url() -> str:
    url = os.environ.get("PRISME_TEST_PG_URL")
    if not url:
        sys.exit("set PRISME_TEST_PG_URL: PRISME_TEST_PG_URL=$(bash .ci/pg-start) ...")
    return url


def generate(url: str, sites: int, devices: int, days: int) -> float:
    """Fill the central tables; seconds taken."""
    from prisme_drift.fleet.central import central_engine

    engine = central_engine(url, timeout=3600)
    started = time.perf_counter()
    params = {"sites": sites, "devices": devices, "days": days, "end": END}
    with engine.begin() as connection:
        for statement in GENERATE.split(";\n"):
            if statement.strip():
                connection.execute(text(statement), params)
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def status_latency(url: str) -> tuple[float, int]:
    """Median milliseconds of ``fleet status`` (5 runs, a fresh engine each, as the CLI)."""
    from prisme_drift.fleet.central import central_engine
    from prisme_drift.fleet.views import site_lines

    times, count = [], 0
    for _ in range(5):
        engine = central_engine(url)
        started = time.perf_counter()
        count = len([line.as_dict() for line in site_lines(engine)])
        times.append((time.perf_counter() - started) * 1000)
        engine.dispose()
    return statistics.median(times), count


def monthly_report(url: str) -> tuple[float, int]:
    """Seconds of ``fleet report monthly --client "Client 1" --month 2026-11`` (PDF and HTML of
    the client and the overview), and how many sites the client's document holds."""
    from prisme_drift.fleet.central import central_engine
    from prisme_drift.fleet.monthly_doc import write_fleet_monthly
    from prisme_drift.report.render import RenderOptions

    with tempfile.TemporaryDirectory() as folder:
        engine = central_engine(url)
        started = time.perf_counter()
        options = RenderOptions(out_dir=Path(folder))
        written = write_fleet_monthly(engine, options, client="Client 1", month="2026-11")
        took = time.perf_counter() - started
        engine.dispose()
    return took, len(written.clients[0][0].sites)


def _site_day(settings: object, day: datetime, devices: int, first_id: int) -> None:
    """One day of a site's history in its own store: 96 polls of every device."""
    from sqlalchemy import insert, select

    from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
    from prisme_drift.store.models import Device, DevicePoll, Event, Poll

    engine = make_engine(settings.database_url)  # type: ignore[attr-defined]
    ensure_schema(engine)
    site = settings.site.name  # type: ignore[attr-defined]
    with session_factory(engine).begin() as session:
        if not session.scalars(select(Device.id)).first():
            session.add_all(
                Device(site=site, name=f"sw{d}", platform="ios", hostname=f"10.0.0.{d}")
                for d in range(1, devices + 1)
            )
            session.flush()
        ids = list(session.scalars(select(Device.id)))
        for n in range(96):
            at = day + timedelta(minutes=15 * n)
            poll = Poll(site=site, started_at=at, finished_at=at + timedelta(seconds=40))
            session.add(poll)
            session.flush()
            session.execute(insert(DevicePoll), [
                {"poll_id": poll.id, "device_id": i, "status": "unchanged", "attempts": 1,
                 "duration_s": 2.5, "at": at} for i in ids
            ])  # fmt: skip
        session.execute(insert(Event), [
            {"site": site, "kind": "drift_opened", "dedupe_key": f"bench:{first_id + k}",
             "payload": {}, "created_at": day + timedelta(hours=k)} for k in range(3)
        ])  # fmt: skip
    engine.dispose()


ROLE = f"bench_site_{uuid.uuid4().hex[:6]}"


def daily_sync(url: str, devices: int) -> tuple[float, dict[str, int]]:
    """Seconds of one site's daily sync through its own role; its row counts."""
    from prisme_drift.config import load_settings
    from prisme_drift.fleet.central import central_engine, grant_site
    from prisme_drift.fleet.sync import sync_site
    from prisme_drift.site import init_site

    role = ROLE
    engine = central_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'bench'"))
    grant_site(engine, "bench-site", role)
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site"
        init_site(folder, site="bench-site", client="Client bench")
        role_url = make_url(url).set(username=role).render_as_string(hide_password=False)
        (folder / "fleet-pw").write_text("bench\n")
        toml = folder / "prisme-drift.toml"
        toml.write_text(
            toml.read_text() + f'\n[fleet]\nurl = "{role_url}"\npassword_file = "fleet-pw"\n'
        )
        settings = load_settings(toml)
        _site_day(settings, END - timedelta(days=2), devices, 0)
        sync_site(settings)  # the first full copy
        _site_day(settings, END - timedelta(days=1), devices, 3)
        started = time.perf_counter()
        report = sync_site(settings)
        seconds = time.perf_counter() - started
    return seconds, report.rows


def main() -> int:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--devices", type=int, default=25)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from prisme_drift.fleet.central import central_engine, migrate

    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"prisme_fleet_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = central_engine(url)
        migrate(engine)
        engine.dispose()
        built = generate(url, args.sites, args.devices, args.days)
        with admin.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(:n)"), {"n": name}).scalar()
        median_ms, count = status_latency(url)
        sync_s, rows = daily_sync(url, args.devices)
        monthly_s, monthly_sites = monthly_report(url)
    finally:
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
        admin.dispose()
    print(f"provider: {args.sites} sites x {args.devices} devices, {args.days} days of history")
    print(f"generated in {built:.1f} s; central database size {size / 2**20:.0f} MiB")
    print(f"fleet status ({count} sites): median {median_ms:.0f} ms (goal < 200 ms)")
    print(f"one site's daily sync: {sync_s:.2f} s (goal < 2 s), rows {rows}")
    print(
        f"a client's fleet monthly report ({monthly_sites} sites): {monthly_s:.1f} s (goal < 30 s)"
    )
    if args.keep:
        print(f"kept database {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
