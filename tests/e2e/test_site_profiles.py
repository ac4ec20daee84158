"""A site's own platform profiles, end to end over real SSH against the lab.

The lab's IOS personality is served under a platform name no built-in profile knows; the site's
``profiles/`` folder describes it, and the device is polled and its changes classified.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prisme_drift.poll import run_poll
from prisme_drift.profiles import BUILTIN, use_site_profiles
from tests.clirun import run_cli
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
IOS_TEXT = (BUILTIN / "ios.yaml").read_text(encoding="utf-8")
VLAN_CHANGE = ["vlan 40", " name CFAO-TEMP", "exit"]


@pytest.fixture(autouse=True)
def builtin_only() -> Iterator[None]:
    yield
    use_site_profiles(None)


def site_profile(site: LabSite, name: str, text: str) -> Path:
    folder = site.folder / "profiles"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def use_platform(site: LabSite, device: str, platform: str) -> None:
    hosts = site.folder / "inventory" / "hosts.yaml"
    text = hosts.read_text(encoding="utf-8")
    assert "platform: ios" in text
    hosts.write_text(text.replace("platform: ios", f"platform: {platform}"), encoding="utf-8")


def acme(text: str) -> str:
    """The IOS profile as a provider would copy it for another platform name."""
    text = text.replace("name: ios\n", "name: acme_switch\n", 1)
    return text.replace("aliases: [cisco_ios, iosxe, cisco_xe]\n", "", 1)


def cli(site: LabSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(site.config_file), *args, cwd=ROOT)


def test_a_new_platform_from_the_site_is_polled_and_classified(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    site_profile(site, "acme_switch", acme(IOS_TEXT))
    use_platform(site, "sw01", "acme_switch")
    first = run_poll(site.settings)
    assert [(d.name, str(d.status)) for d in first.devices] == [("sw01", "ok")]
    site.device("sw01").configure(VLAN_CHANGE)
    second = run_poll(site.settings)
    assert second.exit_code == 3
    assert [(i.category, i.added) for i in second.drift] == [
        ("vlan", ("vlan 40", " name CFAO-TEMP"))
    ]
    assert any("no vlan 40" in line for line in second.drift[0].remediation)


def test_a_site_profile_overrides_the_built_in_one(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    # the site files VLAN definitions under "management": only its ios profile can say so
    rule = "  - {category: vlan, line: '^vlan \\d'}\n"
    assert rule in IOS_TEXT
    override = IOS_TEXT.replace(rule, "  - {category: management, line: '^vlan \\d'}\n", 1)
    site_profile(site, "ios", override)
    run_poll(site.settings)
    site.device("sw01").configure(VLAN_CHANGE)
    second = run_poll(site.settings)
    assert [(i.category, i.added) for i in second.drift] == [
        ("management", ("vlan 40", " name CFAO-TEMP"))
    ]


@pytest.mark.parametrize("command", [["check"], ["run"]])
def test_a_broken_site_profile_is_a_configuration_error_naming_the_file(
    lab_site: Callable[..., LabSite], command: list[str]
) -> None:
    site = lab_site(["sw01"])
    misspelled = acme(IOS_TEXT).replace("  - drop_blank_lines\n", "  - drop_blank_line\n", 1)
    broken = site_profile(site, "acme_switch", misspelled)
    result = cli(site, *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(broken) in result.stderr
    assert "canonicalizers.2: Input should be" in result.stderr  # the key, and what it accepts
    assert "'drop_blank_lines'" in result.stderr
    assert site.device("sw01").revision == 0
    assert not (site.settings.baseline_path / "refs" / "heads" / "observed").exists()
