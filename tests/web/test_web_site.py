"""The site page over real HTTP: devices with their facts, open drift with its diff and
summary, tickets, documents, the changes per week as SVG; scoped to the user's client."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from prisme_drift.fleet import schema
from prisme_drift.fleet.siteview import weekly_changes
from tests.web.conftest import Users, WebServer, add_site, log_in
from tests.web.sitedata import NOW, add_device, add_drift


def _site_with_everything(server: WebServer, client: str) -> str:
    engine, site = server.central.engine, f"clinique-{uuid.uuid4().hex[:6]}"
    add_site(engine, site, client, last_poll_at=NOW)
    sw = add_device(engine, site, "sw-accueil")
    add_device(engine, site, "fw-bureau", status="failed")
    with engine.begin() as connection:
        connection.execute(
            schema.device_states.insert().values(
                site=site, device_id=sw, collected_at=NOW, sha256="0" * 64,
                state={"facts": {"model": "C9200L-24P", "serial": "FOC2233X0AB",
                                 "os_version": "17.9.4"}},
            )
        )  # fmt: skip
        connection.execute(
            schema.tickets.insert().values(
                site=site, id="CHG-0042", status="approved",
                data={"title": "VLAN invités", "start": "2026-12-01T08:00:00+00:00",
                      "end": "2026-12-01T10:00:00+00:00"},
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        connection.execute(
            schema.report_files.insert().values(
                site=site, path="2026/11/mensuel-2026-11.pdf", kind="monthly", size=48213,
                sha256="1" * 64, modified_at=NOW,
            )
        )  # fmt: skip
    add_drift(
        engine, site, sw,
        path=["interface GigabitEthernet1/0/3"],
        removed=["switchport access vlan 10", "snmp-server community <redacted>"],
        added=["switchport access vlan 40", "description <script>alert(1)</script>"],
    )  # fmt: skip
    return site


def test_the_site_page_shows_devices_drift_tickets_documents_and_the_week_chart(
    app_server: WebServer, users: Users
) -> None:
    client = f"Clinique {uuid.uuid4().hex[:6]}"
    site = _site_with_everything(app_server, client)
    login, password = users.add("client", client)
    with app_server.client() as browser:
        log_in(browser, login, password)
        page = browser.get(f"/sites/{site}")
    assert page.status_code == 200
    text = page.text
    assert f'id="plans-link" href="/sites/{site}/plans"' in text  # the way to the change plans
    # devices: the facts of the structured state, a dash where the site copied none
    sw = text.split('data-device="sw-accueil"', 1)[1].split("</tr>", 1)[0]
    assert "C9200L-24P" in sw and "FOC2233X0AB" in sw and "17.9.4" in sw
    assert f'href="/sites/{site}/devices/sw-accueil"' in sw
    assert "interrogé" in sw
    fw = text.split('data-device="fw-bureau"', 1)[1].split("</tr>", 1)[0]
    assert fw.count("<td>—</td>") == 3
    assert "en échec" in fw and "jamais" in fw  # no good poll ever
    # the open drift item: its plain summary and its diff as stored (redacted, escaped)
    assert "GigabitEthernet1/0/3: + switchport access vlan 40 (4 lignes modifiées)" in text
    assert '<span class="del">- snmp-server community &lt;redacted&gt;</span>' in text
    assert '<span class="add">+ switchport access vlan 40</span>' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "non autorisé" in text
    # tickets, documents
    assert 'data-ticket="CHG-0042"' in text and "VLAN invités" in text
    assert f'href="/sites/{site}/reports/2026/11/mensuel-2026-11.pdf"' in text
    # the chart: one SVG, twelve weeks, its inline style allowed by the page's CSP
    assert text.count("<svg") == 1
    week = NOW.date().isocalendar().week
    assert f">S{week}</text>" in text
    style = re.search(r"<style>(.*?)</style>", text)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    assert html.unescape(style.group(1)) == style.group(1)


def test_another_clients_site_is_404_like_a_site_that_does_not_exist(
    app_server: WebServer, users: Users
) -> None:
    site = _site_with_everything(app_server, f"Clinique {uuid.uuid4().hex[:6]}")
    login, password = users.add("client", f"Cabinet {uuid.uuid4().hex[:6]}")
    with app_server.client() as browser:
        log_in(browser, login, password)
        hidden = browser.get(f"/sites/{site}")
        missing = browser.get(f"/sites/{site}-nowhere")
    assert hidden.status_code == missing.status_code == 404
    assert site not in hidden.text
    assert hidden.text.replace(site, "") == missing.text.replace(f"{site}-nowhere", "")
    assert "FOC2233X0AB" not in hidden.text


def test_changes_per_week_count_as_the_monthly_document_does(app_server: WebServer) -> None:
    engine, site = app_server.central.engine, f"weeks-{uuid.uuid4().hex[:6]}"
    add_site(engine, site, "C")
    device = add_device(engine, site, "sw01")
    today = date(2026, 12, 3)  # a Thursday, ISO week 49
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    add_drift(engine, site, device, "unauthorized", opened_at=monday)
    add_drift(engine, site, device, "accepted", opened_at=monday + timedelta(days=1))
    add_drift(engine, site, device, "authorized", opened_at=monday, closed_at=monday)
    late = monday - timedelta(days=2)  # Saturday of week 48
    add_drift(
        engine, site, device, "authorized", opened_at=late, closed_at=late + timedelta(hours=1)
    )
    add_drift(engine, site, device, "unauthorized", opened_at=late, reason="transitional_expired")
    add_drift(engine, site, device, "unauthorized", opened_at=monday - timedelta(weeks=12))
    with engine.connect() as connection:
        weeks = weekly_changes(connection, site, today)
    assert len(weeks) == 12
    assert weeks[0].start == date(2026, 9, 14) and weeks[-1].start == date(2026, 11, 30)
    assert (weeks[-1].authorized, weeks[-1].accepted, weeks[-1].unauthorized) == (1, 1, 1)
    # covered later than the poll that saw it: not authorized at once
    assert (weeks[-2].authorized, weeks[-2].accepted, weeks[-2].unauthorized) == (0, 0, 1)
    assert sum(w.authorized + w.accepted + w.unauthorized for w in weeks[:-2]) == 0
