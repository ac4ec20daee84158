"""The fleet overview: a status word and colour per site from its figures, counts, the client
filter (provider users only)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from prisme_drift.fleet.views import SiteLine
from prisme_drift.web.status import site_status
from tests.web.conftest import Clients, Users, WebServer, add_site, log_in
from tests.web.sitedata import NOW, add_device, add_drift

T = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _line(**values: object) -> SiteLine:
    base: dict[str, object] = {
        "site": "s", "client": "c", "last_sync": T - timedelta(minutes=5),
        "last_poll": T - timedelta(minutes=20), "devices": 3, "failing": 0,
        "open_unauthorized": 0, "transitional_expired": 0, "last_monthly_report": None,
    }  # fmt: skip
    return SiteLine(**{**base, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "sync_every_s", "expected"),
    [
        ({}, None, "good"),
        ({"open_unauthorized": 1}, None, "unauthorized"),
        ({"transitional_expired": 1}, None, "unauthorized"),
        ({"open_unauthorized": 1, "last_sync": None}, None, "unauthorized"),
        ({"last_sync": None}, None, "silent"),
        ({"last_sync": T - timedelta(hours=3, seconds=1)}, None, "silent"),
        ({"last_sync": T - timedelta(hours=3)}, None, "good"),
        ({"last_sync": T - timedelta(minutes=46)}, 900.0, "silent"),
        ({"last_sync": T - timedelta(hours=5)}, 7200.0, "good"),
        ({"failing": 1}, None, "gap"),
        ({"last_poll": None}, None, "gap"),
        ({"last_poll": T - timedelta(hours=6, seconds=1)}, None, "gap"),
        ({"failing": 1, "last_sync": None}, None, "silent"),
    ],
)
def test_the_status_of_a_site(values: dict[str, object], sync_every_s: float | None,
                              expected: str) -> None:  # fmt: skip
    assert site_status(_line(**values), sync_every_s, T) == expected


def _rows(html: str) -> dict[str, str]:
    """site -> its status, from the overview's table."""
    return dict(re.findall(r'data-site="([^"]+)" data-status="([^"]+)"', html))


def test_each_site_has_its_status_word_colour_and_counts(
    app_server: WebServer, users: Users
) -> None:
    engine, client, tag = (
        app_server.central.engine,
        f"Clinique {uuid.uuid4().hex[:6]}",
        uuid.uuid4().hex[:6],
    )
    good, bad, gap, silent = (f"{name}-{tag}" for name in ("good", "bad", "gap", "silent"))
    for site in (good, bad, gap):
        add_site(engine, site, client, last_poll_at=NOW)
    add_site(engine, silent, client, last_sync_at=NOW - timedelta(days=2), last_poll_at=NOW)
    for site in (good, bad, gap, silent):
        add_device(engine, site, "sw01")
    add_drift(engine, bad, add_device(engine, bad, "fw01"))
    add_device(engine, gap, "sw02", status="failed")
    login, password = users.add("client", client)
    with app_server.client() as browser:
        log_in(browser, login, password)
        page = browser.get("/")
    assert _rows(page.text) == {good: "good", bad: "unauthorized", gap: "gap", silent: "silent"}
    row = page.text.split(f'data-site="{bad}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="status status-unauthorized"' in row
    assert "changement non autorisé ouvert" in row
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "0", "1", "0"]
    gap_row = page.text.split(f'data-site="{gap}"', 1)[1].split("</tr>", 1)[0]
    assert "trou de surveillance" in gap_row
    assert re.findall(r'<td class="num">(\d+)</td>', gap_row)[:2] == ["2", "1"]
    assert "site muet" in page.text and "tout va bien" in page.text


def test_a_provider_filters_by_client(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("technician")
    with app_server.client() as browser:
        log_in(browser, login, password)
        everything = _rows(browser.get("/").text)
        only_b = browser.get("/", params={"client": clients.b})
    assert set(clients.a_sites + clients.b_sites) <= set(everything)
    assert set(_rows(only_b.text)) == set(clients.b_sites)
    assert f'<option value="{clients.b}" selected>' in only_b.text


def test_a_client_cannot_filter_its_way_to_another_client(
    app_server: WebServer, users: Users, clients: Clients
) -> None:
    login, password = users.add("client", clients.a)
    with app_server.client() as browser:
        log_in(browser, login, password)
        pages = [
            browser.get("/", params={"client": clients.b}),
            browser.get("/", params=[("client", clients.a), ("client", clients.b)]),
            browser.get("/", params={"client": ""}),
        ]
    for page in pages:
        assert page.status_code == 200
        assert set(_rows(page.text)) == set(clients.a_sites)
        assert clients.b not in page.text
        assert "<select" not in page.text  # no filter for a client user
