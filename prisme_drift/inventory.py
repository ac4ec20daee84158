"""Nornir initialisation from a standard SimpleInventory, plus credentials kept out of it.

An existing Nornir inventory works as is (hostname, port, platform, username, password, groups,
data, connection_options). Passwords may instead live in a credentials file (YAML, mode 0600) or
a credentials folder (one file per host or group, e.g. systemd ``LoadCredential=``).
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups
from nornir.core.plugins.inventory import InventoryPluginRegister
from nornir.core.state import GlobalState
from nornir.plugins.inventory.simple import _get_defaults, _get_inventory_element
from nornir.plugins.runners import ThreadedRunner

from prisme_drift.config import Settings
from prisme_drift.errors import InventoryError, ProfileError
from prisme_drift.inventory_schema import check_defaults, check_entries
from prisme_drift.models import DeviceRef
from prisme_drift.profiles import SITE_PROFILES, get_profile, known_platforms, use_site_profiles
from prisme_drift.scrub import remember
from prisme_drift.secretpaths import read_secret, unset_credentials_directory
from prisme_drift.yamlio import load_yaml, load_yaml_both, reading_differences

log = logging.getLogger(__name__)
# Nornir warns at every load that an empty defaults.yaml is empty: true, and not worth a line.
logging.getLogger("nornir.plugins.inventory.simple").setLevel(logging.ERROR)

INVENTORY_FILES = {"hosts": "hosts.yaml", "groups": "groups.yaml", "defaults": "defaults.yaml"}


@dataclass(frozen=True)
class Credential:
    """A username/password pair. Its repr never shows the password."""

    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, password=<hidden>)"


class Credentials(dict[str, dict[str, Any]]):
    """The credentials' layers (``defaults``, ``groups``, ``hosts``). Printing them (Nornir
    logs every task argument) never shows a password; every password is remembered by the
    scrubber, so no log line, message or alert can quote one."""

    def __init__(self, layers: dict[str, dict[str, Any]]) -> None:
        super().__init__(layers)
        remember(*_passwords(self))

    def __repr__(self) -> str:
        return (
            f"Credentials(hosts={sorted(self['hosts'])}, groups={sorted(self['groups'])}, "
            "passwords hidden)"
        )

    __str__ = __repr__


def _passwords(layers: dict[str, dict[str, Any]]) -> list[str]:
    entries = [layers["defaults"], *layers["groups"].values(), *layers["hosts"].values()]
    return [str(e["password"]) for e in entries if isinstance(e, dict) and e.get("password")]


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s is readable by group or others (mode %o); run: chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )


def _credentials_from_file(path: Path) -> dict[str, dict[str, Any]]:
    data = load_yaml(path, what="credentials file") or {}
    problems = []
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: expected a mapping with 'defaults', 'groups' and 'hosts'")
    for key in data:
        if key not in ("defaults", "groups", "hosts"):
            problems.append(f"{path}: unknown top-level key {key!r} (use defaults, groups, hosts)")
    if problems:
        raise InventoryError(f"{path}: invalid credentials file", problems=problems)
    return {k: data.get(k) or {} for k in ("defaults", "groups", "hosts")}


def _credentials_from_dir(path: Path) -> dict[str, dict[str, Any]]:
    """``<host>`` or ``group-<group>`` or ``default`` files holding a password each."""
    out: dict[str, dict[str, Any]] = {"defaults": {}, "groups": {}, "hosts": {}}
    for item in sorted(path.iterdir()):
        if not item.is_file():
            continue
        secret = read_secret(item)
        if item.name == "default":
            out["defaults"] = {"password": secret}
        elif item.name.startswith("group-"):
            out["groups"][item.name[len("group-") :]] = {"password": secret}
        else:
            out["hosts"][item.name] = {"password": secret}
    return out


def load_credentials(path: Path | None) -> Credentials | None:
    """Credentials from a file or a folder; None when the settings name none."""
    if path is None:
        return None
    if not path.exists():
        unset = unset_credentials_directory(path, "[inventory] credentials")
        raise InventoryError(
            f"{path}: credentials file or folder not found ([inventory] credentials)"
            + (f": {unset}" if unset else "")
        )
    _check_private(path)
    return Credentials(
        _credentials_from_dir(path) if path.is_dir() else _credentials_from_file(path)
    )


def credential_for(host: Host, creds: dict[str, dict[str, Any]] | None) -> Credential:
    """Host entry, then its groups in order, then defaults, then the inventory's own values."""
    username, password = host.username, host.password
    if creds:
        layers = [creds["defaults"]]
        layers += [creds["groups"].get(g.name) or {} for g in reversed(host.groups)]
        layers.append(creds["hosts"].get(host.name) or {})
        for layer in layers:
            username = layer.get("username", username)
            password = layer.get("password", password)
    remember(password)  # also a password written in the Nornir inventory itself
    return Credential(username=username, password=password)


def _inherited(
    spec: dict[str, Any],
    key: str,
    groups: dict[str, Any],
    defaults: dict[str, Any],
    seen: frozenset[str] = frozenset(),
) -> Any:
    """A host setting as Nornir resolves it: the host, then its groups in order, then defaults."""
    if spec.get(key) is not None:
        return spec[key]
    for group in _group_names(spec):
        if group in groups and group not in seen and isinstance(groups[group], dict):
            value = _inherited(groups[group], key, groups, {}, seen | {group})
            if value is not None:
                return value
    return defaults.get(key)


def _group_names(spec: dict[str, Any]) -> list[Any]:
    """The entry's groups when they are a list (anything else is a schema problem)."""
    groups = spec.get("groups")
    return groups if isinstance(groups, list) else []


def _check_host(
    name: str, spec: Any, groups: dict[str, Any], defaults: dict[str, Any], where: Path
) -> list[str]:
    prefix = f"{where}: host {name!r}"
    if not isinstance(spec, dict):
        return [f"{prefix}: expected a mapping of settings"]
    problems = [
        f"{prefix}: group {g!r} is not defined in groups.yaml"
        for g in _group_names(spec)
        if g not in groups
    ]
    if not _inherited(spec, "hostname", groups, defaults):
        problems.append(f"{prefix}: no 'hostname' (the address to connect to)")
    platform = _inherited(spec, "platform", groups, defaults)
    if not platform:
        problems.append(f"{prefix}: no 'platform'; known: {', '.join(known_platforms())}")
    else:
        try:
            get_profile(str(platform))
        except ProfileError as exc:
            problems.append(f"{prefix}: {exc}")
    return problems


EMPTY_HOSTS = (
    "no device defined; add one entry per device to watch, e.g. "
    "'sw01: {hostname: 192.0.2.10, platform: ios}' (see docs/inventory.md)"
)


def _check_groups(groups_file: Path, groups: dict[str, Any]) -> list[str]:
    problems = []
    for name, spec in groups.items():
        if not isinstance(spec, dict):
            problems.append(f"{groups_file}: group {str(name)!r}: expected a mapping of settings")
            continue
        problems += [
            f"{groups_file}: group {str(name)!r}: group {g!r} is not defined in groups.yaml"
            for g in _group_names(spec)
            if g not in groups
        ]
    return problems


def _ambiguous(path: Path, strict: Any, nornir: Any) -> list[str]:
    """A setting YAML 1.1 (our checks) and YAML 1.2 (Nornir) read differently: checked as one,
    connected with the other. Refused, with the key and both readings. Free ``data`` values
    are Nornir's reading alone (what the pipeline uses), so they are not compared."""
    return [
        f"{path}: {where}: reads as {a!r} in YAML 1.1 but {b!r} in YAML 1.2 (Nornir's reading); "
        'write it so both agree: quote text ("yes"), write numbers without a leading zero (22), '
        "booleans as true/false"
        for where, a, b in reading_differences(strict, nornir)
        if not _in_data(where)
    ]


def _in_data(where: str) -> bool:
    parts = where.split(".")
    # hosts/groups: <name>.data...; defaults: data...
    return parts[0] == "data" or (len(parts) > 1 and parts[1] == "data")


def _validate_raw(folder: Path) -> tuple[list[str], dict[str, Any]]:
    """Every inventory problem, found before Nornir loads it (Nornir stops at the first), and
    the files as Nornir reads them (``yamlio.parse_yaml_both``: each file is parsed once).

    Keys, types and ranges of every host, group and the defaults; a site with no device is a
    configuration error too (a poll of nothing would look like a healthy site).
    """
    hosts_file = folder / INVENTORY_FILES["hosts"]
    groups_file = folder / INVENTORY_FILES["groups"]
    defaults_file = folder / INVENTORY_FILES["defaults"]
    if not hosts_file.exists():
        return [f"{hosts_file}: not found; 'prisme-drift init' writes an example"], {}
    hosts, n_hosts = load_yaml_both(hosts_file, what="inventory hosts file")
    groups, n_groups = load_yaml_both(groups_file, what="groups", missing_ok=True)
    defaults, n_defaults = load_yaml_both(defaults_file, what="defaults", missing_ok=True)
    read = {"hosts": n_hosts, "groups": n_groups, "defaults": n_defaults}
    ambiguous = _ambiguous(hosts_file, hosts, n_hosts) + _ambiguous(groups_file, groups, n_groups)
    ambiguous += _ambiguous(defaults_file, defaults, n_defaults)
    if ambiguous:
        return ambiguous, read
    hosts, groups = hosts or {}, groups or {}
    if not isinstance(hosts, dict):
        return [f"{hosts_file}: expected a mapping of host name -> settings"], read
    if not isinstance(groups, dict):
        return [f"{groups_file}: expected a mapping of group -> settings"], read
    problems = check_defaults(defaults_file, defaults)
    problems += _check_groups(groups_file, groups) + check_entries(groups_file, "group", groups)
    if not hosts:
        return [*problems, f"{hosts_file}: {EMPTY_HOSTS}"], read
    problems += check_entries(hosts_file, "host", hosts)
    plain_defaults = defaults if isinstance(defaults, dict) else {}
    for name, spec in hosts.items():
        problems += _check_host(str(name), spec, groups, plain_defaults, hosts_file)
    return problems, read


class ReadInventory:
    """Nornir's SimpleInventory over files already read (``_validate_raw``), not read again.

    ``hosts``, ``groups``, ``defaults``: each file as SimpleInventory's YAML reading gives it,
    None for a missing groups or defaults file; built exactly as SimpleInventory builds them.
    """

    def __init__(self, hosts: Any, groups: Any, defaults: Any) -> None:
        self.hosts, self.groups, self.defaults = hosts or {}, groups, defaults

    def load(self) -> Inventory:
        """The inventory, as ``SimpleInventory.load`` makes it from the same data."""
        defaults = Defaults() if self.defaults is None else _get_defaults(self.defaults or {})
        hosts = Hosts()
        for name, spec in self.hosts.items():
            hosts[name] = _get_inventory_element(Host, spec, name, defaults)
        groups = Groups()
        if self.groups is not None:
            for name, spec in (self.groups or {}).items():
                groups[name] = _get_inventory_element(Group, spec, name, defaults)
            for group in groups.values():
                group.groups = ParentGroups([groups[g] for g in _raw_names(group)])
        for host in hosts.values():
            host.groups = ParentGroups([groups[g] for g in _raw_names(host)])
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)


def _raw_names(entry: Host | Group) -> list[Any]:
    """The group names an entry holds until they are resolved (SimpleInventory's own hack)."""
    return list(cast("list[Any]", entry.groups))


InventoryPluginRegister.register("PrismeDriftReadInventory", ReadInventory)


def build_nornir(settings: Settings) -> Nornir:
    """A Nornir object on the site's inventory, validated; raises InventoryError listing all.

    The site's own platform profiles (``profiles/`` beside the settings file) are loaded first,
    so its devices may name them; a broken one raises ProfileError naming the file.
    """
    use_site_profiles(settings.resolve(Path(SITE_PROFILES)))
    folder = settings.inventory_path
    problems, read = _validate_raw(folder)
    if problems:
        raise InventoryError(f"{folder}: invalid inventory", problems=problems)
    workers = settings.collect.workers
    try:
        # What InitNornir builds, without its three scans of every installed package's entry
        # points at each poll (a third of the inventory's cost): the plugins are known here.
        config = Config.from_dict(
            runner={"plugin": "threaded", "options": {"num_workers": workers}},
            inventory={"plugin": "PrismeDriftReadInventory", "options": read},
            logging={"enabled": False},
        )
        config.logging.configure()
        inventory = ReadInventory(**read).load()
    except Exception as exc:
        raise InventoryError(f"{folder}: Nornir cannot load the inventory: {exc}") from exc
    return Nornir(
        inventory=inventory,
        runner=ThreadedRunner(num_workers=workers),
        config=config,
        data=GlobalState(),
    )


def device_refs(nr: Nornir) -> dict[str, DeviceRef]:
    """What verdicts need of each host: name, groups, manufacturer perimeter.

    A host (or one of its groups) marks a manufacturer perimeter with
    ``data: {restricted: {manufacturer: "Dentsply Sirona"}}``: changes there need a ticket
    carrying a written mandate.
    """
    refs: dict[str, DeviceRef] = {}
    for name, host in nr.inventory.hosts.items():
        restricted = host.get("restricted")
        manufacturer = None
        if isinstance(restricted, dict):
            manufacturer = str(restricted.get("manufacturer") or "unnamed manufacturer")
        elif restricted:
            manufacturer = (
                str(restricted) if isinstance(restricted, str) else "unnamed manufacturer"
            )
        refs[name] = DeviceRef(
            name=name, groups=tuple(g.name for g in host.groups), restricted=manufacturer
        )
    return refs
