"""The inventory is parsed once: our checks and Nornir still read every value as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import ruamel.yaml
from nornir.plugins.inventory.simple import SimpleInventory

from prisme_drift.inventory import ReadInventory, _validate_raw
from prisme_drift.yamlio import parse_yaml, parse_yaml_both

HOSTS = """\
sw01:
  hostname: 192.0.2.10
  port: 22
  platform: ios
  groups: [core, "yes"]
  data: {enabled: yes, backup: no, stp: on, window: 1:30, ratio: 1e3, since: 2024-01-01,
         tag: !!str 12, quoted: 'no', count: 1_000, legacy: 017}
sw02:
  hostname: sw02.example.net
  groups: [core]
  data: {restricted: {manufacturer: Acme}}
"""
GROUPS = """\
core:
  platform: ios
  port: 22
  data: {site: yes, vlan: 0x10}
"yes":
  data: {flag: off}
"""
DEFAULTS = "username: admin\ndata: {notify: y}\n"


def _hosts(inventory: Any) -> dict[str, Any]:
    return {name: host.dict() for name, host in inventory.hosts.items()}


@pytest.mark.parametrize("with_optional_files", [True, False])
def test_nornir_sees_the_hosts_its_own_yaml_reading_gave(
    tmp_path: Path, with_optional_files: bool
) -> None:
    (tmp_path / "hosts.yaml").write_text(
        HOSTS if with_optional_files else "sw01: {hostname: 192.0.2.10, platform: ios}\n"
    )
    if with_optional_files:
        (tmp_path / "groups.yaml").write_text(GROUPS)
        (tmp_path / "defaults.yaml").write_text(DEFAULTS)
    problems, read = _validate_raw(tmp_path)
    assert problems == []
    new = ReadInventory(**read).load()
    old = SimpleInventory(
        str(tmp_path / "hosts.yaml"),
        str(tmp_path / "groups.yaml"),
        str(tmp_path / "defaults.yaml"),
    ).load()
    assert _hosts(new) == _hosts(old)
    assert {n: g.dict() for n, g in new.groups.items()} == {
        n: g.dict() for n, g in old.groups.items()
    }
    assert new.defaults.dict() == old.defaults.dict()
    if with_optional_files:
        sw01 = new.hosts["sw01"]
        assert sw01["enabled"] == "yes"  # text for Nornir, a boolean for YAML 1.1
        assert sw01["window"] == "1:30"
        assert sw01["flag"] == "off"


@pytest.mark.parametrize("text", [HOSTS, GROUPS, DEFAULTS, "a: [yes, Yes, 0x1f, .inf, ~, '']\n"])
def test_one_parse_gives_both_readings_exactly(text: str) -> None:
    strict, nornir = parse_yaml_both(text)
    assert strict == parse_yaml(text)
    assert nornir == ruamel.yaml.YAML(typ="safe", pure=True).load(text)


def test_keys_that_collide_once_typed_are_still_refused() -> None:
    with pytest.raises(Exception, match="defined twice"):
        parse_yaml_both("yes: 1\nYes: 2\n")


@pytest.mark.parametrize(
    ("line", "strict", "nornir"),
    [("port: 022", "18", "22"), ("username: yes", "True", "'yes'"), ("platform: 0x1f", "", "")],
)
def test_a_setting_the_two_yaml_readings_disagree_on_is_refused(
    tmp_path: Path, line: str, strict: str, nornir: str
) -> None:
    (tmp_path / "hosts.yaml").write_text(f"sw01:\n  hostname: 192.0.2.10\n  {line}\n")
    problems, _ = _validate_raw(tmp_path)
    if not strict:  # 0x1f is 31 to both: no ambiguity (the platform check speaks instead)
        assert not any("YAML 1.2" in p for p in problems)
        return
    key = line.split(":", maxsplit=1)[0]
    assert problems == [
        f"{tmp_path / 'hosts.yaml'}: sw01.{key}: reads as {strict} in YAML 1.1 but {nornir} in "
        'YAML 1.2 (Nornir\'s reading); write it so both agree: quote text ("yes"), write numbers '
        "without a leading zero (22), booleans as true/false"
    ]


def test_free_data_values_are_read_as_nornir_reads_them_without_complaint(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text(
        "sw01: {hostname: 192.0.2.10, platform: ios, data: {enabled: yes, legacy: 017}}\n"
    )
    problems, read = _validate_raw(tmp_path)
    assert problems == []
    assert ReadInventory(**read).load().hosts["sw01"]["enabled"] == "yes"


def test_build_nornir_gives_what_init_nornir_gave(tmp_path: Path) -> None:
    """build_nornir makes its Nornir without InitNornir's entry-point scans: same hosts, groups,
    defaults, runner and settings as InitNornir on the same inventory."""
    from nornir import InitNornir
    from nornir.plugins.runners import ThreadedRunner

    from prisme_drift.config import load_settings
    from prisme_drift.inventory import build_nornir
    from prisme_drift.site import init_site

    init_site(tmp_path / "site", site="nornir")
    settings = load_settings(tmp_path / "site" / "prisme-drift.toml")
    folder = settings.inventory_path
    (folder / "hosts.yaml").write_text(HOSTS)
    (folder / "groups.yaml").write_text(GROUPS)
    (folder / "defaults.yaml").write_text(DEFAULTS)
    problems, read = _validate_raw(folder)
    assert problems == []
    new = build_nornir(settings)
    old = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": settings.collect.workers}},
        inventory={"plugin": "PrismeDriftReadInventory", "options": read},
        logging={"enabled": False},
    )
    assert _hosts(new.inventory) == _hosts(old.inventory) and len(new.inventory.hosts) == 2
    assert {n: g.dict() for n, g in new.inventory.groups.items()} == {
        n: g.dict() for n, g in old.inventory.groups.items()
    }
    assert new.inventory.defaults.dict() == old.inventory.defaults.dict()
    assert new.config.dict() == old.config.dict()
    assert isinstance(new.runner, ThreadedRunner) and isinstance(old.runner, ThreadedRunner)
    assert new.runner.num_workers == old.runner.num_workers == settings.collect.workers
    assert new.data.dry_run is old.data.dry_run is False
