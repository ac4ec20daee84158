"""The keys of a Nornir SimpleInventory entry, with their types and ranges.

Nornir takes whatever YAML gives it: ``port: abc`` fails deep inside a connection, ``port: 99999``
looks like an unreachable device, and a mistyped key (``prot: 2222``) is silently ignored. Every
host, group and the defaults are checked here before any device is contacted; each problem names
the file, the entry and the key, and an unknown key gets the closest known one as a hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

Port = Annotated[StrictInt, Field(ge=1, le=65535)]
Address = Annotated[StrictStr, Field(min_length=1, pattern=r"^\S+$")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnectionOptionsSpec(_Spec):
    """One entry of ``connection_options`` (``napalm:``, ``netmiko:``)."""

    hostname: Address | None = None
    port: Port | None = None
    username: StrictStr | None = None
    password: StrictStr | None = None
    platform: StrictStr | None = None
    extras: dict[str, Any] | None = None


class DefaultsSpec(_Spec):
    """``defaults.yaml``: every host setting except ``groups``."""

    hostname: Address | None = None
    port: Port | None = None
    username: StrictStr | None = None
    password: StrictStr | None = None
    platform: StrictStr | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, ConnectionOptionsSpec] | None = None


class HostSpec(DefaultsSpec):
    """A host of ``hosts.yaml`` or a group of ``groups.yaml``."""

    groups: list[StrictStr] | None = None


#: What a good value looks like, by key (the last key of the error's location).
EXPECTED = {
    "hostname": "must be an IP address or a DNS name (text without spaces)",
    "port": "must be a whole number from 1 to 65535 (the SSH port, 22 by default)",
    "username": "must be text",
    "password": "must be text; quote it in YAML if it looks like a number or a boolean",
    "platform": "must be a platform name such as ios, fortinet or mikrotik_routeros",
    "groups": "must be a list of group names, e.g. groups: [switches]",
    "data": "must be a mapping of key: value",
    "extras": "must be a mapping of key: value",
    "connection_options": "must be a mapping of connection (napalm, netmiko) -> options",
}

#: Keys whose value may be quoted back in a message (never a password or free-form data).
SHOWN = {"hostname", "port", "platform", "groups"}


def _allowed(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys allowed where ``loc`` (the unknown key's location) points."""
    if len(loc) == 3 and loc[0] == "connection_options":
        return list(ConnectionOptionsSpec.model_fields)
    return list(model.model_fields)


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    return f"unknown key {key!r} (typo? {hint})"


def _leaf(loc: Sequence[str | int]) -> str:
    """The key a value belongs to (``groups`` for ``groups.0``)."""
    names = [part for part in loc if isinstance(part, str)]
    return names[-1] if names else ""


def _problem(model: type[BaseModel], error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    where = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        inside = f"[{where.rpartition('.')[0]}] " if len(loc) > 1 else ""
        return inside + _unknown_key(str(loc[-1]), _allowed(model, loc))
    leaf = _leaf(loc)
    if leaf not in EXPECTED and loc[0] == "connection_options":
        expected = "must be a mapping of options: " + ", ".join(ConnectionOptionsSpec.model_fields)
    else:
        expected = EXPECTED.get(leaf, str(error["msg"]))
    shown = f" (got {error['input']!r:.60})" if leaf in SHOWN else ""
    return f"[{where}] {expected}{shown}"


def check_entry(spec: Mapping[str, Any], *, is_defaults: bool = False) -> list[str]:
    """Every problem of one host, group or defaults mapping (empty when it is valid)."""
    model: type[BaseModel] = DefaultsSpec if is_defaults else HostSpec
    try:
        model.model_validate(dict(spec))
    except ValidationError as exc:
        return [_problem(model, err) for err in exc.errors()]
    return []


def check_entries(path: Path, what: str, entries: Mapping[Any, Any]) -> list[str]:
    """Problems of every mapping entry of a hosts or groups file, each naming file and entry."""
    problems = []
    for name, spec in entries.items():
        if isinstance(spec, Mapping):
            problems += [f"{path}: {what} {str(name)!r}: {p}" for p in check_entry(spec)]
    return problems


def check_defaults(path: Path, defaults: Any) -> list[str]:
    """Problems of ``defaults.yaml``."""
    if defaults is None:
        return []
    if not isinstance(defaults, Mapping):
        return [f"{path}: expected a mapping of settings (hostname, port, username, ...)"]
    return [f"{path}: {p}" for p in check_entry(defaults, is_defaults=True)]
