"""Unchanged polls reuse the last normalized text (``poll.normalized``), over real SSH to the lab:
a change after them is still seen, and so is a profile edit that normalizes the same raw text
differently."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.models import DeviceStatus
from prisme_drift.poll import run_poll
from prisme_drift.poll.normalized import RAW_DIGESTS
from prisme_drift.profiles import BUILTIN, use_site_profiles
from tests.conftest import LabSite

pytestmark = pytest.mark.lab

IOS_TEXT = (BUILTIN / "ios.yaml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def builtin_only() -> Iterator[None]:
    yield
    use_site_profiles(None)


def statuses(site: LabSite) -> list[str]:
    return [str(d.status) for d in run_poll(site.settings, deliver=False).devices]


def observed(site: LabSite) -> str:
    with BaselineRepo(site.settings.baseline_path, site.settings.site.name) as repo:
        snapshot = repo.read(OBSERVED, "sw01", "ios")
    assert snapshot is not None
    return snapshot.config


def test_a_change_after_unchanged_polls_is_still_detected(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    assert statuses(site) == [DeviceStatus.OK]
    assert statuses(site) == [DeviceStatus.UNCHANGED]
    digests = json.loads((site.settings.state_path / RAW_DIGESTS).read_text(encoding="utf-8"))
    assert set(digests) == {"sw01"}
    site.device("sw01").configure(["vlan 40", " name CFAO-TEMP", "exit"])
    report = run_poll(site.settings, deliver=False)
    assert [d.status for d in report.devices] == [DeviceStatus.CHANGED]
    assert [(i.category, i.added) for i in report.drift] == [
        ("vlan", ("vlan 40", " name CFAO-TEMP"))
    ]
    assert "vlan 40" in observed(site)
    again = run_poll(site.settings, deliver=False)
    assert [d.status for d in again.devices] == [DeviceStatus.UNCHANGED]
    assert [i.id for i in again.drift] == [i.id for i in report.drift]  # still open, not again


def test_a_profile_edit_normalizes_the_same_raw_text_again(
    lab_site: Callable[..., LabSite],
) -> None:
    site = lab_site(["sw01"])
    assert statuses(site) == [DeviceStatus.OK]
    assert statuses(site) == [DeviceStatus.UNCHANGED]
    assert "no service pad" in observed(site)
    revision = site.device("sw01").revision
    # the site's ios profile files one more line as noise: the device did not change, its
    # normalized text did
    noisy = IOS_TEXT.replace("noise:\n", "noise:\n  - '^no service pad'\n", 1)
    assert noisy != IOS_TEXT
    (site.folder / "profiles").mkdir()
    (site.folder / "profiles" / "ios.yaml").write_text(noisy, encoding="utf-8")
    assert statuses(site) == [DeviceStatus.CHANGED]
    assert site.device("sw01").revision == revision
    assert "no service pad" not in observed(site)
    assert statuses(site) == [DeviceStatus.UNCHANGED]
