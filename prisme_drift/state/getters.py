"""NAPALM getters and show commands for the structured state: one extra session, only on the
devices whose state is due.

Every getter is optional (the profile lists those that work on its driver) and independent: one
that raises, or that returns nothing while the device refused a command, is recorded as an
error and its sections stay unknown; the poll itself is never failed by a getter. The profile's
state ``commands`` run in the same session (through NAPALM's Netmiko connection, or a Netmiko
session for Netmiko profiles); their outputs are read by extractors in ``build``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import Result, Task

from prisme_drift.collect.hostkeys import KnownHosts
from prisme_drift.collect.napalm_fetch import napalm_session
from prisme_drift.collect.netmiko_fetch import netmiko_session
from prisme_drift.collect.runner import CollectOptions, connection_args, target_for
from prisme_drift.errors import CollectError
from prisme_drift.profiles import Profile, get_profile

log = logging.getLogger(__name__)

_MAX_ERROR = 160
#: The sections each getter fills.
GETTER_SECTIONS: dict[str, tuple[str, ...]] = {
    "get_facts": ("facts",),
    "get_interfaces": ("interfaces",),
    "get_interfaces_ip": ("interfaces",),
    "get_vlans": ("vlans",),
    "get_lldp_neighbors_detail": ("neighbors",),
}


@dataclass
class GetterResults:
    """What the getters of one device gave: raw NAPALM values and short errors, by getter."""

    values: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    commands: int = 0

    def gave(self, section: str) -> bool:
        """Whether a getter that succeeded filled ``section``."""
        return any(section in GETTER_SECTIONS[name] for name in self.values)


def short_error(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """One line, bounded, with the device's credentials masked (errors reach git and email)."""
    text = (str(exc).strip().splitlines() or [""])[0][:_MAX_ERROR]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return f"{type(exc).__name__}: {text}".rstrip(": ")


class _CommandWatch:
    """Wraps the driver's command sender: counts commands, remembers refused ones."""

    def __init__(self, driver: Any, profile: Profile) -> None:
        self.refused: list[str] = []
        self.count = 0
        connection = getattr(driver, "device", None)
        self._send: Callable[..., Any] | None = getattr(connection, "send_command", None)
        self._signatures = _signatures(profile)
        if connection is not None and self._send is not None:
            connection.send_command = self._wrapped

    def _wrapped(self, command: str, *args: Any, **kwargs: Any) -> Any:
        assert self._send is not None
        self.count += 1
        output = self._send(command, *args, **kwargs)
        if isinstance(output, str) and any(s.search(output) for s in self._signatures):
            self.refused.append(str(command))
        return output


def _one_getter(driver: Any, watch: _CommandWatch, name: str, results: GetterResults) -> None:
    refused_before = len(watch.refused)
    try:
        value = getattr(driver, name)()
    except Exception as exc:  # any getter failure costs that getter's sections only
        results.errors[name] = short_error(exc)
        return
    refused = watch.refused[refused_before:]
    if not value and refused:
        results.errors[name] = f"device refused: {refused[0]}"
        return
    results.values[name] = value


def _signatures(profile: Profile) -> list[re.Pattern[str]]:
    return [re.compile(p, re.M) for p in profile.guard.error_signatures]


def _run_commands(send: Callable[[str], Any], profile: Profile, results: GetterResults) -> None:
    """The profile's state commands (those whose ``unless`` section no getter gave)."""
    signatures = _signatures(profile)
    for spec in profile.state.commands:
        if spec.unless and results.gave(spec.unless):
            continue
        try:
            output = str(send(spec.command))
        except Exception as exc:  # a command failure costs its sections only
            results.errors[spec.command] = short_error(exc)
            continue
        results.commands += 1
        if any(s.search(output) for s in signatures):
            results.errors[spec.command] = f"device refused: {spec.command}"
            continue
        results.outputs[spec.command] = output


def run_getters(
    target: Any, profile: Profile, budget: float, conn_args: dict[str, Any]
) -> GetterResults:
    """Open one session and run the profile's getters, then its state commands, in it."""
    results = GetterResults()
    if profile.collect.method == "napalm":
        with napalm_session(target, profile, budget, conn_args) as driver:
            watch = _CommandWatch(driver, profile)
            for name in profile.state_getters:
                _one_getter(driver, watch, name, results)
            results.commands = watch.count
            if profile.state.commands:
                _run_commands(driver.device.send_command, profile, results)
        return results
    with netmiko_session(target, profile, budget, conn_args) as conn:
        _run_commands(conn.send_command, profile, results)
    return results


def getters_for_host(host: Host, options: CollectOptions) -> GetterResults:
    """The getters of one host; a session that cannot open marks every getter failed."""
    profile = get_profile(str(host.platform))
    target = target_for(host, options.credentials)
    known = KnownHosts(options.state_dir, options.host_key_policy)
    try:
        return run_getters(target, profile, options.timeout, connection_args(options, known))
    except (CollectError, OSError) as exc:
        error = short_error(exc, [target.password or ""])
    except Exception as exc:  # never let state collection fail the poll
        log.exception("%s: unexpected error while running getters", host.name)
        error = short_error(exc, [target.password or ""])
    log.warning("%s: structured state getters unavailable: %s", host.name, error)
    names = [*profile.state_getters, *(c.command for c in profile.state.commands)]
    return GetterResults(errors=dict.fromkeys(names, error))


def collect_getters(
    nr: Nornir, options: CollectOptions, devices: Iterable[str]
) -> dict[str, GetterResults]:
    """Run the getters on ``devices`` (in parallel, Nornir's workers); device -> results."""
    wanted = set(devices)
    if not wanted:
        return {}
    results: dict[str, GetterResults] = {}
    lock = threading.Lock()
    started = time.monotonic()

    def task(task: Task) -> Result:
        got = getters_for_host(task.host, options)
        with lock:
            results[task.host.name] = got
        return Result(host=task.host, result=None)

    subset = nr.filter(filter_func=lambda h: h.name in wanted)
    subset.run(task=task, on_failed=True)
    nr.data.reset_failed_hosts()
    log.info("state getters on %d device(s) in %.1fs", len(results), time.monotonic() - started)
    return results
