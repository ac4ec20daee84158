"""A device with no password configured: said before any login, with where to put it.

Over real SSH against the lab; ``password_attempts`` counts the logins a device saw, so the
tests prove that no login was wasted (an account that locks after a few failures stays open).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
SETTING = 'credentials = "credentials.yaml"'


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args, cwd=ROOT)


def check_rows(site: LabSite) -> tuple[int, dict[str, dict[str, object]]]:
    result = cli(site, "check", "--json")
    rows = {d["device"]: d for d in json.loads(result.stdout)["devices"]}
    return result.returncode, rows


def run_devices(site: LabSite) -> tuple[int, dict[str, dict[str, object]]]:
    result = cli(site, "run", "--json")
    assert result.stdout, result.stderr
    return result.returncode, {d["name"]: d for d in json.loads(result.stdout)["devices"]}


def test_credentials_commented_out_as_after_init(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    text = site.config_file.read_text()
    site.config_file.write_text(text.replace(SETTING, f"# {SETTING}"))  # as init writes it

    code, rows = check_rows(site)
    assert code == 4
    for name in ("sw01", "sw02"):
        row = rows[name]
        assert row["tcp"].startswith("ok") and row["failed_at"] == "login"  # type: ignore[union-attr]
        assert row["login"] == "failed (config)"
        detail = str(row["detail"])
        assert f"no password configured for {name}, so no login was attempted" in detail
        assert f"[inventory] credentials is not set in {site.config_file}" in detail
        assert f"'hosts: {{{name}: {{password: ...}}}}'" in detail
        assert "Authentication failed" not in detail
    code, devices = run_devices(site)
    assert code == 4
    assert {d["error_kind"] for d in devices.values()} == {"config"}
    assert "no password configured for sw01" in str(devices["sw01"]["error"])
    assert [site.device(n).password_attempts for n in ("sw01", "sw02")] == [0, 0]


def test_credentials_file_without_the_device_password(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01", "sw02"])
    credentials = site.folder / "credentials.yaml"
    credentials.write_text(
        yaml.safe_dump(
            {"defaults": {}, "groups": {}, "hosts": {"sw02": {"password": site.password}}}
        )
    )
    code, rows = check_rows(site)
    assert code == 4
    assert rows["sw02"]["ok"] and rows["sw02"]["prompt"] == "sw02#"
    detail = str(rows["sw01"]["detail"])
    assert rows["sw01"]["login"] == "failed (config)"
    assert f"add 'hosts: {{sw01: {{password: ...}}}}' to {credentials}" in detail
    assert "'groups: {switches: ...}' or 'defaults:'" in detail
    code, devices = run_devices(site)
    assert code == 4
    assert devices["sw02"]["status"] == "ok" and devices["sw01"]["error_kind"] == "config"
    assert site.device("sw01").password_attempts == 0

    credentials.write_text(
        yaml.safe_dump({"defaults": {"password": site.password}, "groups": {}, "hosts": {}})
    )
    code, rows = check_rows(site)
    assert code == 0 and rows["sw01"]["prompt"] == "sw01#"


def test_credentials_folder_names_the_file_to_create(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    folder = site.folder / "secrets"
    folder.mkdir(mode=0o700)
    text = site.config_file.read_text()
    site.config_file.write_text(text.replace(SETTING, 'credentials = "secrets"'))
    code, rows = check_rows(site)
    assert code == 4
    detail = str(rows["sw01"]["detail"])
    assert f"create {folder / 'sw01'} or {folder / 'group-switches'} or {folder / 'default'}" in (
        detail
    )
    (folder / "group-switches").write_text(site.password + "\n")
    code, rows = check_rows(site)
    assert code == 0 and rows["sw01"]["login"] == "ok"
    assert site.device("sw01").password_attempts == 1
