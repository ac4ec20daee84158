"""Fetch one device through Netmiko: the profile's commands, and facts from regex rules."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

from netmiko import ConnectHandler

from prisme_drift.collect.session import Target, bounded_socket, close_session
from prisme_drift.profiles import Profile


def join_outputs(profile: Profile, outputs: dict[str, str]) -> str:
    """One command: its output. Several: each output under its section header, in order."""
    commands = profile.collect.commands
    if len(commands) == 1:
        return outputs[commands[0]]
    parts = []
    for command in commands:
        parts.append(profile.collect.section_header.format(command=command))
        parts.append(outputs[command].rstrip("\n"))
    return "\n".join(parts) + "\n"


def facts_from(profile: Profile, outputs: dict[str, str]) -> dict[str, Any]:
    """Facts found by the profile's fact rules in the commands' outputs."""
    facts: dict[str, Any] = {}
    for key, rule in profile.collect.fact_rules.items():
        match = re.search(rule.pattern, outputs.get(rule.command, ""), re.M)
        if match and match.group("value"):
            facts[key] = match.group("value").strip()
    return facts


@contextlib.contextmanager
def netmiko_session(
    target: Target, profile: Profile, budget: float, conn_args: dict[str, Any]
) -> Iterator[Any]:
    """An open Netmiko connection on a socket cut at the deadline; disconnected on the way out."""
    connect_timeout = float(conn_args.get("conn_timeout", budget))
    with bounded_socket(target, budget, connect_timeout) as sock:
        conn = ConnectHandler(
            **copy.deepcopy(target.netmiko_args),
            **conn_args,
            device_type=profile.collect.netmiko_device_type,
            host=target.hostname,
            port=target.port,
            username=target.username or "",
            password=target.password or "",
            sock=sock,
        )
        try:
            yield conn
        finally:
            close_session(conn)


def fetch_netmiko(
    target: Target,
    profile: Profile,
    budget: float,
    conn_args: dict[str, Any],
    wants_facts: Callable[[str], bool] | None = None,
) -> tuple[str, dict[str, Any]]:
    """One attempt through Netmiko. Raises CollectError.

    ``wants_facts(config)``: whether to run the fact rules' commands too, in the same session
    (None: yes).
    """
    spec = profile.collect
    with netmiko_session(target, profile, budget, conn_args) as conn:

        def run(commands: list[str]) -> dict[str, str]:
            timeout = min(spec.read_timeout, budget)
            return {c: str(conn.send_command(c, read_timeout=timeout)) for c in commands}

        outputs = run(list(dict.fromkeys(spec.commands)))
        config = join_outputs(profile, outputs)
        if not spec.facts or not (wants_facts is None or wants_facts(config)):
            return config, {}
        rules = [r.command for r in spec.fact_rules.values() if r.command not in outputs]
        outputs.update(run(list(dict.fromkeys(rules))))
    return config, facts_from(profile, outputs)
