"""The device page and the documents' download over real HTTP (uvicorn on 127.0.0.1), on the real
central PostgreSQL: scoping, state tables, history and diff from the site's pushed repository,
the downloaded bytes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from prisme_drift.fleet import schema
from prisme_drift.fleet.history import SiteHistory
from prisme_drift.poll import run_poll
from prisme_drift.web.device_view import parse_point
from tests.clirun import run_cli
from tests.conftest import LabSite
from tests.fleet.conftest import Central, make_bare
from tests.fleet.test_fleet_sync import VLAN_CHANGE, fleet_site
from tests.web.conftest import Clients, Users, WebServer, log_in

pytestmark = pytest.mark.postgres

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
STATE = {
    "device": "sw01",
    "platform": "ios",
    "collected_at": "2026-12-01T08:00:00+00:00",
    "facts": {"model": "C9200L-24P", "serial": "FOC2401X0AB", "os_version": "17.9.4"},
    "vlans": [{"id": 10, "name": "DATA", "ports": ["Gi1/0/1", "Gi1/0/2"]}, {"id": 40}],
    "interfaces": [{"name": "Vlan10", "addresses": ["10.0.10.2/24"]}, {"name": "Gi1/0/1"}],
    "neighbors": [{"local_port": "Gi1/0/24", "remote_name": "fw-cabinet", "protocol": "lldp"}],
}


def put(central: Central, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows as a site's sync leaves them (replacing the site's earlier ones)."""
    with central.engine.begin() as connection:
        for site in {row["site"] for row in rows}:
            connection.execute(delete(table).where(table.c.site == site))
        connection.execute(table.insert(), rows)


def device(site: str, device_id: int, name: str) -> dict[str, Any]:
    return {
        "site": site, "id": device_id, "name": name, "platform": "ios", "hostname": "192.0.2.1",
        "consecutive_failures": 0, "last_status": "ok", "last_success_at": AT,
    }  # fmt: skip


def document(central: Central, site: str, path: str, content: bytes, copied: bool = True) -> None:
    """What a site's sync copies of one document: its row in report_files, its bytes."""
    sha = hashlib.sha256(content).hexdigest()
    with central.engine.begin() as connection:
        connection.execute(
            schema.report_files.insert(),
            {"site": site, "path": path, "kind": "audit", "size": len(content), "sha256": sha,
             "modified_at": AT},
        )  # fmt: skip
        if copied:
            connection.execute(
                schema.report_contents.insert(),
                {"site": site, "path": path, "sha256": sha, "content": content},
            )


@pytest.fixture
def seeded(central: Central, clients: Clients) -> Clients:
    """Client A's first site has sw01 (a state, two documents), its second site sw02 (no state
    yet); client B's site has its own sw01."""
    a1, a2 = clients.a_sites
    (b1,) = clients.b_sites
    put(central, schema.devices, [device(a1, 1, "sw01"), device(a2, 1, "sw02")])
    put(central, schema.devices, [device(b1, 7, "sw01")])
    put(central, schema.device_states, [
        {"site": a1, "device_id": 1, "collected_at": AT, "sha256": "0" * 64, "state": STATE},
    ])  # fmt: skip
    document(central, a1, "audit-2026-12-01.pdf", b"%PDF-1.7\n\x00\xff binary")
    document(central, a1, "interventions/CHG-1 réseau.html", b"<html><script>x</script></html>")
    document(central, a1, "monthly-2026-11.pdf", b"%PDF too big", copied=False)
    document(central, b1, "audit-2026-12-01.pdf", b"%PDF of client B")
    return clients


@contextmanager
def logged_in(
    server: WebServer, users: Users, role: str, client: str | None
) -> Iterator[httpx.Client]:
    """A browser logged in as a new user of ``role`` (and ``client``)."""
    with server.client() as browser:
        login, password = users.add(role, client)
        assert log_in(browser, login, password).status_code == 303
        yield browser


def test_the_device_page_shows_the_state_and_is_scoped(
    app_server: WebServer, users: Users, seeded: Clients
) -> None:
    a1, a2 = seeded.a_sites
    (b1,) = seeded.b_sites
    with logged_in(app_server, users, "client", seeded.a) as browser:
        page = browser.get(f"/sites/{a1}/devices/sw01")
        assert page.status_code == 200
        for shown in ("C9200L-24P", "FOC2401X0AB", "17.9.4", "10.0.10.2/24", "fw-cabinet"):
            assert shown in page.text
        assert 'data-vlan="10"' in page.text and 'data-vlan="40"' in page.text
        assert "Gi1/0/1, Gi1/0/2" in page.text
        assert 'data-history="no_git_root"' in page.text and "--git-root" in page.text
        empty = browser.get(f"/sites/{a2}/devices/sw02")  # nothing copied yet: dashes
        assert empty.status_code == 200 and 'data-state="none"' in empty.text
        assert re.search(r'data-fact="serial">—<', empty.text)
        assert browser.get(f"/sites/{a2}/devices/sw01").status_code == 404  # another site's
        assert browser.get(f"/sites/{b1}/devices/sw01").status_code == 404  # another client's
        assert browser.get(f"/sites/{a1}/devices/nope").status_code == 404
    with logged_in(app_server, users, "client", seeded.b) as browser:
        page = browser.get(f"/sites/{b1}/devices/sw01")
        assert page.status_code == 200 and "FOC2401X0AB" not in page.text
        assert browser.get(f"/sites/{a1}/devices/sw01").status_code == 404
    with logged_in(app_server, users, "technician", None) as browser:
        assert browser.get(f"/sites/{a1}/devices/sw01").status_code == 200
        assert browser.get(f"/sites/{b1}/devices/sw01").status_code == 200
    with app_server.client() as anonymous:
        answer = anonymous.get(f"/sites/{a1}/devices/sw01")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_documents_download_with_their_type_and_name_and_are_scoped(
    app_server: WebServer, users: Users, seeded: Clients
) -> None:
    a1, _ = seeded.a_sites
    (b1,) = seeded.b_sites
    with logged_in(app_server, users, "client", seeded.a) as browser:
        pdf = browser.get(f"/sites/{a1}/reports/audit-2026-12-01.pdf")
        assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7\n\x00\xff binary"
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == (
            "attachment; filename=\"audit-2026-12-01.pdf\"; filename*=UTF-8''audit-2026-12-01.pdf"
        )
        html = browser.get(f"/sites/{a1}/reports/interventions/CHG-1 réseau.html")
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert html.headers["content-disposition"].startswith(
            "attachment; filename=\"CHG-1_r_seau.html\"; filename*=UTF-8''CHG-1%20r%C3%A9seau.html"
        )
        for missing in (
            f"/sites/{a1}/reports/monthly-2026-11.pdf",  # listed, bytes not copied (too big)
            f"/sites/{a1}/reports/nothing.pdf",
            f"/sites/{a1}/reports/../{b1}/reports/audit-2026-12-01.pdf",
            f"/sites/{a1}/reports/%2e%2e/%2e%2e/etc/passwd",
            f"/sites/{b1}/reports/audit-2026-12-01.pdf",  # client B's
        ):
            answer = browser.get(missing)
            assert answer.status_code == 404, missing
            assert b"PDF" not in answer.content
    with logged_in(app_server, users, "client", seeded.b) as browser:
        mine = browser.get(f"/sites/{b1}/reports/audit-2026-12-01.pdf")
        assert mine.content == b"%PDF of client B"
        assert browser.get(f"/sites/{a1}/reports/audit-2026-12-01.pdf").status_code == 404


def _diff_lines(page: str) -> list[str]:
    """The added and removed lines of the page's diff, as shown."""
    block = page.split('<pre class="diff">', 1)[1].split("</pre>", 1)[0]
    found = re.findall(r'<span class="(add|del)">(.*?)</span>', block)
    return [text for _, text in found if not text.startswith(("+++", "---"))]


@pytest.mark.lab
def test_a_real_site_history_diff_and_document_through_the_web_page(
    lab_site: Callable[..., LabSite],
    central: Central,
    web_server_factory: Callable[..., WebServer],
    users: Users,
    tmp_path: Path,
) -> None:
    """A lab site polls, is changed, writes its audit PDF, syncs and pushes for real; its
    client's user sees the device's state and history, the diff between the two polls' dates
    shows exactly the change, and the PDF downloaded is the site's file byte for byte."""
    git_root = tmp_path / "git"
    site = fleet_site(lab_site, central, "clinic-web1", ["sw01"])
    remote = make_bare(git_root / "clinic-web1.git")
    text = site.config_file.read_text() + f'git_remote = "{remote}"\n'
    site.config_file.write_text(text)
    assert run_poll(site.settings).exit_code == 0
    site.device("sw01").configure(VLAN_CHANGE)
    assert run_poll(site.settings).exit_code == 3
    written = run_cli("report", "audit", "--format", "pdf", "--json", config=site.config_file)
    assert written.returncode == 0, written.stderr
    pdf = Path(json.loads(written.stdout)["pdf"])
    synced = run_cli("fleet", "sync", config=site.config_file)
    assert synced.returncode == 0, synced.stderr
    with SiteHistory(git_root, "clinic-web1") as history:
        newest, oldest = history.revisions("sw01").revisions[:2]

    server = web_server_factory(git_root=git_root)
    with logged_in(server, users, "client", "Cabinet Test") as browser:
        page = browser.get("/sites/clinic-web1/devices/sw01")
        assert page.status_code == 200, page.text
        assert site.device("sw01").serial in page.text and 'data-vlan="40"' in page.text
        assert f'data-commit="{newest.commit}"' in page.text
        assert f'data-commit="{oldest.commit}"' in page.text
        dates = {"from": oldest.at.isoformat(), "to": newest.at.isoformat()}
        diff = browser.get("/sites/clinic-web1/devices/sw01", params=dates)
        assert diff.status_code == 200 and 'data-diff="ok"' in diff.text
        assert _diff_lines(diff.text) == ["+vlan 40", "+ name CFAO-TEMP"]
        by_entries = browser.get(
            "/sites/clinic-web1/devices/sw01",
            params={"from": oldest.commit, "to": newest.commit},
        )
        assert _diff_lines(by_entries.text) == ["+vlan 40", "+ name CFAO-TEMP"]
        bad = browser.get("/sites/clinic-web1/devices/sw01", params={"from": "x", "to": "y"})
        assert bad.status_code == 400 and 'data-diff="error"' in bad.text
        relative = pdf.relative_to(site.settings.resolve(site.settings.report.output))
        download = browser.get(f"/sites/clinic-web1/reports/{relative.as_posix()}")
        assert download.status_code == 200
        assert download.content == pdf.read_bytes()
        assert f'filename="{pdf.name}"' in download.headers["content-disposition"]
    with logged_in(server, users, "client", "Another Client") as browser:
        assert browser.get("/sites/clinic-web1/devices/sw01").status_code == 404
        assert browser.get(f"/sites/clinic-web1/reports/{pdf.name}").status_code == 404
    subprocess.run(["git", "--git-dir", str(remote), "fsck", "--strict"], check=True)


def test_a_date_alone_is_the_end_of_that_day_at_the_site() -> None:
    """The form's dates: the configuration as it stood at the end of the day, site time."""
    assert parse_point("2026-12-01", "Indian/Reunion") == datetime(
        2026, 12, 1, 19, 59, 59, tzinfo=UTC
    )
    assert parse_point("2026-12-01T10:30", "UTC") == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert parse_point(" 0a1b2c3d ", "UTC") == "0a1b2c3d"  # a history entry
    for bad in ("yesterday", "2026-13-01", "--output=/tmp/x", "HEAD~1"):
        with pytest.raises(ValueError):
            parse_point(bad, "UTC")
