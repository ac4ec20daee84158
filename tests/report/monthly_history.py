"""A month of history made by the real pipeline: lab switches over SSH, polls under an injected
clock, tickets as YAML files, a drift item accepted with ``drift accept``.

Site ``test-site`` (Indian/Reunion, UTC+4), devices sw01 and sw02 (IOS). Times are UTC; every
poll runs at 06:00 UTC (10:00 in La Réunion). The month under test is November 2026.

October (the previous month): baseline on the 20th; an unauthorized description on sw01 on the
25th, still open at the end of October; polls on the 20th, 25th and 28th.

November:
- 2nd: the October description is reverted on sw01 (reverted, 192 h after it was seen).
- 3rd: CHG-T1, transitional (VLAN 40 on sw01, window 05:00-08:00, expires the 20th): authorized.
- 5th: CHG-D1, definitive (description on sw02, window 05:00-07:00): authorized.
- 6th: VLAN 50 created on sw02 without ticket; reverted on the 8th (48 h).
- 10th to 17th: sw02 unreachable (polls of the 10th, 12th and 14th fail): 168 h.
- 12th: description on sw01's Gi1/0/5 without ticket; accepted on the 13th at 06:00 (24 h).
- 21st: CHG-T1 expired the 20th, VLAN 40 still in place: an expired transitional step.
- 24th: sw02 swapped (serial and model change): unauthorized, still open at the end.
- 28th: a quiet poll. December 2nd: one poll of the next month.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prisme_drift_lab import Lab, LabDevice

from prisme_drift.drift.accept import accept_item
from prisme_drift.drift.items import list_items
from prisme_drift.poll import run_poll
from prisme_drift.timefmt import utcnow
from tests.conftest import LabSite, make_site

MONTH = "2026-11"
NEW_SERIAL, NEW_MODEL = "FOC2999Z0SW", "C9300-48P"
DESCRIPTION = ["interface GigabitEthernet1/0/3", " description Poste CFAO", "exit"]
RESTORE_DESCRIPTION = ["interface GigabitEthernet1/0/3", " description Poste accueil", "exit"]
VLAN_40 = ["vlan 40", " name CFAO-TEMP", "exit"]
VLAN_50 = ["vlan 50", " name TEST", "exit"]
NO_VLAN_50 = ["no vlan 50"]
PRINTER = ["interface GigabitEthernet1/0/5", " description Imprimante accueil", "exit"]
SW02_DESCRIPTION = ["interface GigabitEthernet1/0/7", " description Radio panoramique", "exit"]


def at(day: int, month: int = 11, hour: int = 6) -> datetime:
    """A UTC time in 2026."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


class Clock:
    """The injected clock: every module of the package that reads ``utcnow`` reads this."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def injected(clock: Clock) -> Iterator[None]:
    """Replace ``utcnow`` in every loaded prisme_drift module for the duration."""
    with pytest.MonkeyPatch.context() as patch:
        for name, module in list(sys.modules.items()):
            if name.startswith("prisme_drift") and getattr(module, "utcnow", None) is utcnow:
                patch.setattr(module, "utcnow", clock)
        yield


@dataclass
class History:
    """The site and what the story left behind."""

    site: LabSite
    accepted_item: int
    swap_item: int


def _ticket(site: LabSite, ticket_id: str, **fields: object) -> None:
    data: dict[str, object] = {
        "id": ticket_id,
        "status": "approved",
        "rollback": "retour à la configuration précédente",
        "approval": {"by": "Dr Dupont", "at": at(1).isoformat(), "ref": "courriel du 1er/11"},
    }
    data.update(fields)
    folder = site.folder / "tickets"
    folder.mkdir(exist_ok=True)
    (folder / f"{ticket_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))


def _poll(site: LabSite, clock: Clock, when: datetime) -> None:
    clock.now = when
    run_poll(site.settings, deliver=False)


def _open_item(site: LabSite, device: str, category: str) -> int:
    found = [i for i in list_items(site.settings) if i.device == device and i.category == category]
    assert len(found) == 1, found
    return found[0].id


def build_history(folder: Path) -> tuple[History, Lab]:
    """Play the story above; the caller stops the returned lab."""
    password = secrets.token_urlsafe(10)
    lab = Lab([LabDevice(name=n, platform="ios", password=password) for n in ("sw01", "sw02")])
    lab.start()
    site = make_site(folder, lab, password, timeout=30)
    clock = Clock(at(20, 10))
    sw01, sw02 = lab.device("sw01"), lab.device("sw02")
    with injected(clock):
        _poll(site, clock, at(20, 10))
        sw01.configure(DESCRIPTION)
        _poll(site, clock, at(25, 10))
        _poll(site, clock, at(28, 10))
        sw01.configure(RESTORE_DESCRIPTION)
        _poll(site, clock, at(2))
        _ticket(
            site, "CHG-T1", title="VLAN CFAO provisoire", devices=["sw01"], categories=["vlan"],
            start=at(3, hour=5).isoformat(), end=at(3, hour=8).isoformat(),
            kind="transitional", expires_at=at(20).isoformat(),
        )  # fmt: skip
        sw01.configure(VLAN_40)
        _poll(site, clock, at(3))
        _ticket(
            site, "CHG-D1", title="Étiquette du poste radio", devices=["sw02"],
            categories=["interface"], start=at(5, hour=5).isoformat(),
            end=at(5, hour=7).isoformat(),
        )  # fmt: skip
        sw02.configure(SW02_DESCRIPTION)
        _poll(site, clock, at(5))
        sw02.configure(VLAN_50)
        _poll(site, clock, at(6))
        sw02.configure(NO_VLAN_50)
        _poll(site, clock, at(8))
        lab.stop_device("sw02")
        _poll(site, clock, at(10))
        sw01.configure(PRINTER)
        _poll(site, clock, at(12))
        accepted = _open_item(site, "sw01", "interface")
        clock.now = at(13)
        accept_item(site.settings, accepted, "J. Martin", "CHG-2026-131 signé le 13/11")
        _poll(site, clock, at(14))
        lab.start_device("sw02")
        _poll(site, clock, at(17))
        _poll(site, clock, at(21))
        sw02.serial, sw02.model = NEW_SERIAL, NEW_MODEL
        _poll(site, clock, at(24))
        swap = _open_item(site, "sw02", "device")
        _poll(site, clock, at(28))
        _poll(site, clock, at(2, 12))
    return History(site, accepted, swap), lab


#: Polls started in each month (UTC times above, all well inside the local month).
NOVEMBER_POLLS = 12
OCTOBER_POLLS = 3
