#!/usr/bin/env python3
"""Benchmark: ``report audit`` of a generated 50-device site (goal: under 10 s).

    .venv/bin/python benchmarks/report_audit.py [--devices 50] [--keep DIR]

Builds a real site folder without SSH: inventory, a git baseline whose observed branch holds a
configuration and a structured state per device (a router, a firewall with 60 policies, two core
switches, access switches with 48 ports and LLDP uplinks, access points with SSIDs), and
database rows for the last good polls. Then, in a fresh child process (so the peak RSS is the
report's own), runs the same code as ``prisme-drift report audit`` and prints wall time, CPU
seconds, peak RSS, pages and the findings count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAB_DATA = ROOT / "prisme_drift" / "lab" / "data"


def _switch_state(name: str, index: int, uplink: str, role_vlans: list[int]) -> Any:
    from prisme_drift.devicestate import DeviceState, Facts, Interface, Neighbor, Snmp, Vlan

    # contiguous blocks, as clinics patch them: 1-30 staff, 31-40 imaging, 41-46 third VLAN
    ports = [
        Interface(
            name=f"GigabitEthernet1/0/{p}",
            mode="access",
            access_vlan=role_vlans[0 if p <= 30 else 1 if p <= 40 else 2],
        )
        for p in range(1, 47)
    ]
    ports.append(
        Interface(name="GigabitEthernet1/0/48", mode="trunk", allowed_vlans=[*role_vlans, 99])
    )
    return DeviceState(
        device=name,
        platform="ios",
        collected_at=datetime.now(UTC).isoformat(),
        facts=Facts(
            vendor="Cisco",
            model="C9200L-48P",
            serial=f"FOC{index:08d}",
            os_version="17.9.4",
            uptime_s=86400 * 40,
            hostname=name,
        ),
        interfaces=[Interface(name="Vlan99", addresses=[f"10.99.0.{index + 10}/24"]), *ports],
        vlans=[Vlan(id=v, name=f"VLAN-{v}") for v in [*role_vlans, 99]],
        neighbors=[
            Neighbor(
                local_port="GigabitEthernet1/0/48",
                remote_name=uplink,
                remote_port=f"GigabitEthernet1/0/{index}",
            )
        ],
        snmp=[Snmp(version="2c", community_fp=f"<secret:{index:016x}>", access="ro")],
    )


def generate(folder: Path, count: int) -> None:
    """A site folder with ``count`` devices, their configurations, states and last polls."""
    from sqlalchemy import select

    from prisme_drift.baseline.store import OBSERVED, BaselineRepo
    from prisme_drift.config import load_settings
    from prisme_drift.demo import write_hosts
    from prisme_drift.devicestate import (
        DeviceState,
        Facts,
        Interface,
        Neighbor,
        Policy,
        PortForward,
        Ssid,
    )
    from prisme_drift.models import Snapshot
    from prisme_drift.normalize import normalize
    from prisme_drift.normalize.secrets import FingerprintKey
    from prisme_drift.profiles import get_profile
    from prisme_drift.site import init_site
    from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
    from prisme_drift.store.models import Device

    init_site(folder, site="bench-site", client="Clinique de référence")
    access = count - 2 - 2 - max(count // 10, 1)
    names: dict[str, tuple[str, int]] = {
        "rt-wan": ("mikrotik_routeros", 1),
        "fw-main": ("fortinet", 2),
    }
    names |= {f"core-{n}": ("ios", 3 + n) for n in range(2)}
    names |= {f"sw-{n:02d}": ("ios", 10 + n) for n in range(access)}
    names |= {f"ap-{n:02d}": ("ubiquiti_edgeswitch", 100 + n) for n in range(count - len(names))}
    write_hosts(folder, names, "unused")
    settings = load_settings(folder / "prisme-drift.toml")
    now = datetime.now(UTC)
    key = FingerprintKey.load_or_create(settings.state_path)
    raw = {
        "ios": (LAB_DATA / "ios_switch.cfg").read_text(),
        "fortinet": (LAB_DATA / "fortios_firewall.conf").read_text(),
        "mikrotik_routeros": (LAB_DATA / "routeros_router.rsc").read_text(),
    }
    # stored as a poll stores them: normalized (secrets fingerprinted, noise and "!" dropped)
    texts = {p: normalize(text, get_profile(p), key) for p, text in raw.items()}
    texts["ubiquiti_edgeswitch"] = "set system host-name ap\nset service ssh\n"
    states: dict[str, Any] = {}
    stamp = now.isoformat()
    for index, name in enumerate(sorted(n for n in names if n.startswith("sw-"))):
        states[name] = _switch_state(name, index + 1, f"core-{index % 2}", [10, 20, 30 + index % 4])
    for n in range(2):
        states[f"core-{n}"] = _switch_state(f"core-{n}", 900 + n, "fw-main", [10, 20, 30])
    states["fw-main"] = DeviceState(
        device="fw-main",
        platform="fortinet",
        collected_at=stamp,
        facts=Facts(vendor="Fortinet", model="FortiGate-100F", serial="FG100FTK00000001"),
        interfaces=[
            Interface(name="wan1", addresses=["203.0.113.2/29"]),
            Interface(name="internal", addresses=["10.99.0.1/24"]),
        ],
        firewall_policies=[
            Policy(
                id=str(i),
                name=f"rule-{i}",
                src_intf=["internal"],
                dst_intf=["wan1"],
                src=["all"] if i == 7 else ["lan"],
                dst=["all"],
                service=["ALL"] if i == 7 else ["HTTPS"],
                action="accept",
                log=i % 5 != 0,
            )
            for i in range(1, 61)
        ],
        port_forwards=[
            PortForward(
                id=f"vip{i}",
                name=f"vip{i}",
                wan_interface="wan1",
                external_port=str(8000 + i),
                internal_ip=f"10.20.0.{i}",
                internal_port="443",
                protocol="tcp",
            )
            for i in range(5)
        ],
        neighbors=[Neighbor(local_port="wan1", remote_name="rt-wan", remote_port="ether2")],
    )
    states["rt-wan"] = DeviceState(
        device="rt-wan",
        platform="mikrotik_routeros",
        collected_at=stamp,
        facts=Facts(serial="HEX000001"),
    )
    for name in (n for n in names if n.startswith("ap-")):
        states[name] = DeviceState(
            device=name,
            platform="ubiquiti_edgeswitch",
            collected_at=stamp,
            facts=Facts(vendor="Ubiquiti", model="U6-Pro", serial=f"UAP-{name}"),
            ssids=[
                Ssid(name="Soins", security="wpa2-enterprise", vlan=10),
                Ssid(name="Invites", security="wpa2-psk", vlan=30),
            ],
        )
    snaps = {
        name: Snapshot(
            device=name, platform=platform, config=texts[platform], state=states[name].to_json()
        )
        for name, (platform, _port) in names.items()
    }
    with BaselineRepo(settings.baseline_path, "bench-site") as repo:
        repo.commit(OBSERVED, snaps, "bench", now)
    engine = shared_engine(settings.database_url)
    ensure_schema(engine)
    with session_factory(engine)() as session:
        for name, (platform, port) in names.items():
            session.add(
                Device(
                    site="bench-site",
                    name=name,
                    platform=platform,
                    hostname="127.0.0.1",
                    port=port,
                    last_status="ok",
                    last_success_at=now - timedelta(minutes=10),
                )
            )
        session.commit()
        assert len(session.scalars(select(Device)).all()) == count


def measure(folder: str, conn: Any) -> None:
    """Child process: the audit, timed, with its own peak RSS."""
    start = time.perf_counter()
    from prisme_drift.config import load_settings
    from prisme_drift.report.service import write_audit

    written = write_audit(load_settings(Path(folder) / "prisme-drift.toml"))
    wall = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_SELF)
    from pypdf import PdfReader

    conn.send(
        {
            "seconds": round(wall, 2),
            "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 2),
            "peak_rss_mib": int(ru.ru_maxrss / 1024),
            "pages": len(PdfReader(written.files["pdf"]).pages),
            "pdf_kib": written.files["pdf"].stat().st_size // 1024,
            "devices": written.figures["devices"],
            "findings": written.figures["findings"],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="build the site here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="prisme-bench-audit-")) / "site"
    generate(folder, args.devices)
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=measure, args=(str(folder), child))
    proc.start()
    result = parent.recv()
    proc.join()
    print(json.dumps(result, indent=2))
    verdict = "ok" if result["seconds"] < 10 else "SLOWER than the 10 s goal"
    print(
        f"report audit, {result['devices']} devices: {result['seconds']} s, "
        f"peak RSS {result['peak_rss_mib']} MiB, {result['pages']} pages: {verdict}"
    )


if __name__ == "__main__":
    main()
