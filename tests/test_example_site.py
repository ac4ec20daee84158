"""The repository root is a site folder out of the box: the example inventory of a typical clinic,
baselines/, and prisme-drift.toml.example, whose ``check`` says what is left to fill in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prisme_drift_lab.topology import DEMO_DEVICES

from prisme_drift.collect.placeholders import example_address
from prisme_drift.config import load_settings
from prisme_drift.inventory import build_nornir, device_refs
from prisme_drift.profiles import get_profile
from prisme_drift.settings_file import render_example
from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "prisme-drift.toml.example"
SITE_FILES = ("prisme-drift.toml.example", "credentials.yaml.example", "inventory", "baselines")


def copy_root_site(folder: Path) -> Path:
    """The repository root's site files, copied so a test never writes in the repository."""
    for name in SITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy(source, folder / name)
    return folder / "prisme-drift.toml.example"


def prisme(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, config=config, env={"PRISME_DRIFT_CONFIG": None})


def test_the_example_settings_file_is_generated_from_the_schema() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == render_example(), (
        "regenerate it: python -m prisme_drift.settings_file example > prisme-drift.toml.example"
    )


def test_the_example_inventory_is_the_clinic_the_docs_and_the_demo_describe() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.inventory_path == ROOT / "inventory"
    assert settings.baseline_path == ROOT / "baselines"
    nornir = build_nornir(settings)  # the strict inventory checks pass
    hosts = nornir.inventory.hosts
    platforms = {name: get_profile(str(h.platform)).name for name, h in hosts.items()}
    assert sorted(platforms.values()) == sorted(
        ["ios", "ios", "fortinet", "mikrotik_routeros", "cisco_s300"]
    )
    for name, platform in DEMO_DEVICES.items():  # the demo's clinic is this one
        assert platforms[name] == get_profile(platform).name
    restricted = {n: r.restricted for n, r in device_refs(nornir).items() if r.restricted}
    assert restricted == {"sw-cfao": "Dentsply Sirona"}
    assert all(example_address(str(h.hostname)) for h in hosts.values())


def test_check_on_the_example_lists_what_to_fill_in_and_contacts_nothing(tmp_path: Path) -> None:
    config = copy_root_site(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = prisme(config, "check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no device was contacted" in result.stderr
    hosts = yaml.safe_load((tmp_path / "inventory" / "hosts.yaml").read_text())
    for name, host in hosts.items():
        assert f"host '{name}': [hostname] {host['hostname']} is an address reserved for" in (
            result.stderr
        )
    assert "credentials.yaml: credentials file or folder not found" in result.stderr
    assert "copy" in result.stderr and "credentials.yaml.example" in result.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_once_filled_in_check_contacts_each_device(tmp_path: Path) -> None:
    """Real addresses (here a closed port on loopback) and a credentials file: the devices are
    tried, each one fails on its own row (exit 4), the example list is gone."""
    config = copy_root_site(tmp_path)
    hosts_file = tmp_path / "inventory" / "hosts.yaml"
    with_real = hosts_file.read_text().replace("hostname: 192.0.2.", "hostname: 127.0.0.")
    hosts_file.write_text(with_real.replace("port: 22", "port: 9"))
    (tmp_path / "inventory" / "defaults.yaml").write_text("username: prisme-ro\nport: 9\n")
    credentials = tmp_path / "credentials.yaml"
    shutil.copy(tmp_path / "credentials.yaml.example", credentials)
    credentials.chmod(0o600)
    result = prisme(config, "check", "--json")
    assert result.returncode == 4, result.stdout + result.stderr
    rows = {row["device"]: row for row in yaml.safe_load(result.stdout)["devices"]}
    assert len(rows) == 5
    assert all(row["failed_at"] == "tcp" for row in rows.values())


@pytest.mark.parametrize(
    ("hostname", "example"),
    [
        ("192.0.2.11", True),
        ("198.51.100.7", True),
        ("203.0.113.254", True),
        ("2001:db8::10", True),
        ("fw.cabinet.example.net", True),
        ("sw01.example", True),
        ("127.0.0.1", False),
        ("10.20.0.2", False),
        ("192.0.3.1", False),
        ("sw01.cabinet-dupont.re", False),
        ("example.network.fr", False),
    ],
)
def test_example_addresses(hostname: str, example: bool) -> None:
    assert (example_address(hostname) is not None) is example


def test_the_site_files_stay_out_of_the_project_git() -> None:
    ignored = ["baselines/HEAD", "baselines/objects/x", "state/x", "credentials.yaml"]
    kept = ["baselines/README.md", "inventory/hosts.yaml", "prisme-drift.toml.example"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ignored
