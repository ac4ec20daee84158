"""Poll every inventory host through Nornir's threaded runner; every host gets a result.

Nornir remembers failed hosts and silently skips them on the next run: we reset them before every
poll. nornir_napalm shares one ``optional_args`` dict between the hosts of a group and reuses the
first host's port: we never go through it, each host gets a deep copy of its own options.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Host
from nornir.core.task import Result, Task

from prisme_drift.collect.credentials import CredentialSource, missing_login
from prisme_drift.collect.hostkeys import KnownHosts
from prisme_drift.collect.retry import fetch_with_retries
from prisme_drift.collect.session import Target
from prisme_drift.errors import CollectError
from prisme_drift.inventory import Credentials, credential_for
from prisme_drift.models import Fetch
from prisme_drift.profiles import get_profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CollectOptions:
    """Collection settings for one poll."""

    timeout: float = 120.0
    connect_timeout: float = 15.0
    retries: int = 2
    backoff: float = 2.0
    state_dir: Path = Path("state")
    host_key_policy: str = "tofu"
    # Nornir logs the task's arguments: ``Credentials`` prints no password.
    credentials: Credentials | None = None
    credential_source: CredentialSource = field(default_factory=lambda: CredentialSource(None))
    #: (device, platform, raw configuration) -> whether to fetch the facts too; None: always.
    facts_wanted: Callable[[str, str, str], bool] | None = None


def target_for(host: Host, credentials: dict[str, dict[str, Any]] | None) -> Target:
    """A private deep copy of the host's connection settings (never shared between hosts)."""
    napalm = host.get_connection_parameters("napalm")
    netmiko = host.get_connection_parameters("netmiko")
    cred = credential_for(host, credentials)
    return Target(
        name=host.name,
        hostname=str(napalm.hostname or host.hostname),
        port=int(napalm.port or host.port or 22),
        username=cred.username,
        password=cred.password,
        napalm_args=copy.deepcopy(napalm.extras or {}),
        netmiko_args=copy.deepcopy(netmiko.extras or {}),
    )


def connection_args(options: CollectOptions, known: KnownHosts) -> dict[str, Any]:
    """Netmiko/NAPALM connection options of one poll (host keys, timeouts, no session log)."""
    return {
        **known.netmiko_args(),
        "conn_timeout": options.connect_timeout,
        "auth_timeout": options.connect_timeout,
        "banner_timeout": options.connect_timeout,
        "session_log": None,
    }


def _explained(
    exc: CollectError,
    host: Host,
    target: Target,
    known: KnownHosts,
    connect_timeout: float,
    deadline: float,
) -> CollectError:
    """NAPALM and Netmiko say "Cannot connect" when the pinned key no longer matches: probe
    the key (a key exchange, no login) and say that it changed, with both fingerprints."""
    timeout = min(connect_timeout, deadline - time.monotonic())
    if timeout <= 0:
        return exc
    clear = known.explain_failure(host.name, target.hostname, target.port, timeout)
    if clear is None:
        return exc
    clear.attempts = exc.attempts
    return clear


def _facts_question(
    options: CollectOptions, device: str, platform: str
) -> Callable[[str], bool] | None:
    """The poll's facts rule for one device, asked with its configuration (None: always)."""
    rule = options.facts_wanted
    if rule is None:
        return None
    return lambda config: rule(device, platform, config)


def fetch_host(host: Host, options: CollectOptions) -> Fetch:
    """Collect one host; never raises: failures come back as a Fetch with ``error_kind``."""
    started = time.monotonic()
    deadline = started + options.timeout
    platform = str(host.platform)
    target = target_for(host, options.credentials)
    known = KnownHosts(options.state_dir, options.host_key_policy)
    base = Fetch(host.name, platform, hostname=target.hostname, port=target.port)
    try:
        profile = get_profile(platform)
        missing = missing_login(host, target, options.credential_source)
        if missing is not None:  # said before any contact: never a useless login attempt
            raise missing
        learned = known.ensure(target.hostname, target.port, options.connect_timeout)
        if learned:
            log.warning("%s: %s", host.name, learned)
        config, facts, attempts = fetch_with_retries(
            target,
            profile,
            deadline=deadline,
            retries=options.retries,
            backoff=options.backoff,
            conn_args=connection_args(options, known),
            wants_facts=_facts_question(options, host.name, platform),
        )
    except CollectError as exc:
        if exc.kind == "hostkey":
            exc = _explained(exc, host, target, known, options.connect_timeout, deadline)
        log.warning("%s: fetch failed (%s): %s", host.name, exc.kind, exc)
        return replace(
            base,
            error_kind=exc.kind,
            error=str(exc),
            attempts=exc.attempts,
            duration_s=time.monotonic() - started,
        )
    except Exception as exc:
        log.exception("%s: unexpected error while collecting", host.name)
        return replace(
            base,
            error_kind="error",
            error=f"{type(exc).__name__}: {exc}",
            duration_s=time.monotonic() - started,
        )
    elapsed = time.monotonic() - started
    return replace(base, config=config, facts=facts, attempts=attempts, duration_s=elapsed)


def _task(task: Task, options: CollectOptions, done: Callable[[Fetch], None]) -> Result:
    fetch = fetch_host(task.host, options)
    done(fetch)
    return Result(host=task.host, result=fetch)


def collect_all(
    nr: Nornir,
    options: CollectOptions,
    on_result: Callable[[Fetch], None] | None = None,
) -> dict[str, Fetch]:
    """One fetch per inventory host, in parallel; hosts that produced nothing are 'error'."""
    nr.data.reset_failed_hosts()
    results: dict[str, Fetch] = {}
    lock = threading.Lock()

    def done(fetch: Fetch) -> None:
        with lock:
            results[fetch.device] = fetch
        if on_result:
            on_result(fetch)

    nr.run(task=_task, options=options, done=done, on_failed=True)
    for name, host in nr.inventory.hosts.items():
        if name not in results:
            results[name] = Fetch(
                device=name,
                platform=str(host.platform),
                error_kind="error",
                error="no result from the collection task",
            )
    nr.data.reset_failed_hosts()
    return results
