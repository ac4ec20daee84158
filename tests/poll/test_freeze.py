"""A poll takes the objects of the imports out of the cyclic collector's walks once per process
(``gc.freeze``), and garbage made afterwards is collected as before."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest

from prisme_drift.models import DeviceStatus
from prisme_drift.poll import run_poll
from tests.conftest import LabSite

pytestmark = pytest.mark.lab


class Node:
    """An object in a reference cycle (only the cyclic collector frees it)."""

    def __init__(self) -> None:
        self.me = self


def test_frozen_once_and_later_cycles_still_collected(lab_site: Callable[..., LabSite]) -> None:
    site = lab_site(["sw01"])
    run_poll(site.settings, deliver=False)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    report = run_poll(site.settings, deliver=False)
    assert [d.status for d in report.devices] == [DeviceStatus.UNCHANGED]
    assert gc.get_freeze_count() == frozen  # once per process, not at every poll
    assert gc.isenabled()
    cycle = Node()
    freed = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert freed() is None
