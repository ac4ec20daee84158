"""``prisme-drift demo``: the whole chain on the built-in lab, in well under a minute.

Two simulated Cisco switches, a FortiGate-like firewall and a MikroTik router, cabled as a small
clinic (see ``prisme_drift_lab.topology``), listen on 127.0.0.1; a site folder is
created for them; a first poll sets the baseline; a "technician" then adds a VLAN on a switch and
a port forward on the firewall over SSH, without a ticket; the second poll flags both and the
alerts that IT would receive are printed. Then an approved ticket covers a VLAN change made in
its window. Last, the site audit, the month's summary and that ticket's intervention report are
written as PDF and HTML.
"""

from __future__ import annotations

import secrets
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from rich.console import Console
from rich.text import Text

from prisme_drift import demo_intervention as intervention
from prisme_drift.config import load_settings
from prisme_drift.errors import ConfigError
from prisme_drift.models import PollReport
from prisme_drift.notify.render import render_drift_alert
from prisme_drift.poll import run_poll
from prisme_drift.report.intervention_service import write_intervention
from prisme_drift.report.monthly_input import month_of
from prisme_drift.report.monthly_service import write_monthly
from prisme_drift.report.service import write_audit
from prisme_drift.site import init_site
from prisme_drift.state.changes import change_line

#: The simulated devices are their own distribution (``lab/`` in the source tree): a production
#: install carries none, and the demo says how to add them.
LAB_INSTALL = "pip install ./lab in the prisme-drift source folder (./dev.sh demo does it)"
try:
    from prisme_drift_lab import Lab
    from prisme_drift_lab.topology import (
        DEFAULT_PLACE,
        DEMO_CHANGES,
        DEMO_DEVICES,
        DEMO_SUMMARY,
        FLAT_CONFIG_CLIENTS,
        INVENTORY_PLACES,
        TECHNICIAN_CLIENTS,
        demo_devices,
    )
except ModuleNotFoundError as exc:
    if exc.name != "prisme_drift_lab":
        raise
    raise ConfigError(
        "prisme-drift demo runs on the simulated devices of prisme-drift-lab, which is not "
        f"installed: {LAB_INSTALL}"
    ) from exc

DEVICES = DEMO_DEVICES


def write_hosts(folder: Path, devices: Mapping[str, tuple[str, int]], password: str) -> None:
    """hosts.yaml for devices on 127.0.0.1 (name -> (platform, port)), one group per platform;
    the password goes to credentials.yaml only."""
    hosts = {
        name: {
            "hostname": "127.0.0.1",
            "port": port,
            "platform": platform,
            "groups": [INVENTORY_PLACES.get(platform, DEFAULT_PLACE)[0]],
            "data": {"role": INVENTORY_PLACES.get(platform, DEFAULT_PLACE)[1]},
        }
        for name, (platform, port) in devices.items()
    }
    groups = sorted({group for group, _ in INVENTORY_PLACES.values()})
    (folder / "inventory" / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=True))
    (folder / "inventory" / "groups.yaml").write_text(
        yaml.safe_dump({group: {"username": "admin"} for group in groups})
    )
    (folder / "credentials.yaml").write_text(
        yaml.safe_dump({"defaults": {"password": password}, "groups": {}, "hosts": {}})
    )


def write_inventory(folder: Path, lab: Lab, password: str) -> None:
    """hosts.yaml with each lab device on its own port; passwords in credentials.yaml only."""
    write_hosts(folder, {d.name: (d.platform, d.port) for d in lab.devices}, password)


def enable_credentials(settings_file: Path, timeout: int = 30, workers: int | None = None) -> None:
    """Point the site's settings at credentials.yaml and set the collection limits."""
    text = settings_file.read_text()
    text = text.replace('# credentials = "credentials.yaml"', 'credentials = "credentials.yaml"')
    text = text.replace("timeout = 120 ", f"timeout = {timeout} ")
    if workers is not None:
        text = text.replace("workers = 10", f"workers = {workers}")
    settings_file.write_text(text)


def technician_change(device_type: str, port: int, password: str, lines: list[str]) -> None:
    """What a hurried installer does, over SSH with the ordinary tools, without a ticket."""
    from netmiko import ConnectHandler

    with ConnectHandler(
        device_type=device_type,
        host="127.0.0.1",
        port=port,
        username="admin",
        password=password,
        ssh_strict=False,
    ) as conn:
        conn.send_config_set(
            [line.strip() for line in lines if line != "end"]
            if device_type in FLAT_CONFIG_CLIENTS
            else lines
        )


def _step(console: Console, step: str, text: str) -> None:
    _checkpoint()
    console.print(Text.assemble((step, "bold"), " ", text))


def _summary(console: Console, step: str, report: PollReport) -> None:
    statuses = ", ".join(f"{d.name}={d.status}" for d in report.devices)
    _step(console, step, f"poll {report.poll_id}: {statuses}")


_interrupted = threading.Event()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def _checkpoint() -> None:
    """Raise again an interrupt that landed where Python ignores exceptions (a garbage-collector
    or weakref callback prints "Exception ignored" and carries on)."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Ctrl-C and SIGTERM unwind the demo, so that the lab stops and the temporary site is
    removed; an interrupt swallowed by a callback is raised again at the next step."""
    _interrupted.clear()
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    hook = sys.unraisablehook

    def swallowed(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return  # raised again at the next checkpoint, without a traceback
        hook(unraisable)

    sys.unraisablehook = swallowed
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _state_changes(console: Console, report: PollReport) -> None:
    """The structured state changes of the poll (what the text diff means, as values)."""
    for device in report.devices:
        for change in device.state_changes:
            console.print(f"   state {device.name}: {change_line(change)}", markup=False)


def run_demo(directory: Path | None, *, lang: str, console: Console) -> int:
    """Run the demo; 0 when the VLAN and port-forward changes were flagged, 1 otherwise.

    Without ``directory`` the site lives in a temporary folder removed at exit, whether the
    demo succeeds, fails or is interrupted (Ctrl-C, SIGTERM).
    """
    with _sigterm_as_interrupt():
        if directory is not None:
            return _demo(directory, lang=lang, console=console, keep=True)
        with tempfile.TemporaryDirectory(
            prefix="prisme-drift-demo-", ignore_cleanup_errors=True
        ) as tmp:
            return _demo(Path(tmp), lang=lang, console=console, keep=False)


def _demo(folder: Path, *, lang: str, console: Console, keep: bool) -> int:
    password = secrets.token_urlsafe(12)
    with Lab(demo_devices("admin", password)) as lab:
        console.print(
            f"lab: {DEMO_SUMMARY}, cabled together, on 127.0.0.1: "
            + ", ".join(f"{d.name}:{d.port}" for d in lab.devices)
        )
        init_site(folder, site="cabinet-demo", client="Cabinet dentaire de démonstration")
        write_inventory(folder, lab, password)
        enable_credentials(folder / "prisme-drift.toml")
        settings = load_settings(folder / "prisme-drift.toml")
        first = run_poll(settings, deliver=False)
        _summary(console, "1. baseline", first)
        for name, lines in DEMO_CHANGES.items():
            client = TECHNICIAN_CLIENTS[DEMO_DEVICES[name]]
            technician_change(client, lab.device(name).port, password, lines)
        _step(
            console,
            "2. change",
            "a technician adds VLAN 40 and moves Gi1/0/3 into it on sw-imagerie, and opens "
            "VNC (port 5900) to a CAD-CAM workstation on fw-cabinet, over SSH, without a ticket",
        )
        second = run_poll(settings, deliver=False)
        _summary(console, "3. detection", second)
        _state_changes(console, second)
        port = lab.device(intervention.DEVICE).port
        client = TECHNICIAN_CLIENTS[DEMO_DEVICES[intervention.DEVICE]]
        ticketed = intervention.ticketed_change(
            settings, lambda lines: technician_change(client, port, password, lines)
        )
        _summary(console, f"4. ticket {intervention.TICKET} (VLAN 50, authorized)", ticketed)
    opened = [item for item in second.drift if item.id in second.opened]
    for item in opened:
        message = render_drift_alert(
            item,
            lang=lang,
            timezone=settings.site.timezone,
            config_hint=f" -c {folder / 'prisme-drift.toml'}" if keep else "",
        )
        console.rule(message.subject)
        console.print(message.body, markup=False)
    # the audit outlives a temporary site: it goes to a fixed folder of the temp directory
    reports = None if keep else Path(tempfile.gettempdir()) / "prisme-drift-demo-reports"
    _checkpoint()
    audit = write_audit(settings, lang=lang, out_dir=reports)
    console.print(f"site audit: {audit.files['pdf']}", soft_wrap=True)
    month = month_of(first.started_at, settings.site.timezone).label  # the demo's own month
    _checkpoint()
    monthly = write_monthly(settings, month=month, lang=lang, out_dir=reports)
    console.print(f"monthly summary: {monthly.files['pdf']}", soft_wrap=True)
    _checkpoint()
    cr = write_intervention(settings, intervention.TICKET, lang=lang, out_dir=reports, actor="demo")
    console.print(f"intervention report: {cr.files['pdf']}", soft_wrap=True)
    if keep:
        console.print(f"site folder: {folder}  (git baseline: {settings.baseline_path})")
    else:
        console.print("site folder: temporary, removed at exit (keep one with --dir FOLDER)")
    found = {(i.device, i.category) for i in opened if i.verdict == "unauthorized"}
    flagged = {("sw-imagerie", "vlan"), ("fw-cabinet", "nat")} <= found
    if not flagged:
        console.print(
            Text(f"demo failed: expected VLAN and NAT drift, found {sorted(found)}", style="red")
        )
    authorized = not [i for i in ticketed.drift if i.device == intervention.DEVICE]
    return 0 if flagged and authorized and first.exit_code == 0 else 1
