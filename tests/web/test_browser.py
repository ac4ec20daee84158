"""The web page in a real browser: Playwright driving Debian's Chromium against the real server
(uvicorn on 127.0.0.1) and the real central PostgreSQL, filled by two lab sites that polled
their simulated devices over SSH and synced themselves as in production.

Few tests, one browser for the module; each saves screenshots of the pages it visits
(docs/img/web-*.png when PRISME_WEB_SCREENSHOTS=docs/img, see tests/web/browser.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from prisme_drift_lab import Lab, LabDevice

from prisme_drift.config import load_settings
from prisme_drift.daemon.fleet import push_baseline_to_fleet
from prisme_drift.fleet.sync import sync_site
from prisme_drift.poll import run_poll
from prisme_drift.web.users import add_user
from tests.conftest import LabSite, make_site
from tests.fleet.conftest import Central, make_bare
from tests.web.browser import shoot
from tests.web.conftest import WebServer

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

DUPONT, MARTIN = "Cabinet Dupont", "Clinique Martin"
VLAN_CHANGE = ["vlan 40", " name CFAO-TEMP", "exit"]


@dataclass(frozen=True)
class Account:
    login: str
    password: str


@dataclass
class World:
    """The web server and who logs in to it: a client of each clinic and a technician."""

    web: WebServer
    sites: dict[str, LabSite]
    dupont: Account
    martin: Account
    technician: Account


def fleet_site(
    folder: Path, central: Central, git_root: Path, name: str, client: str, devices: list[str]
) -> tuple[LabSite, Lab]:
    """A lab site ``name`` of ``client``, copying itself to the central database and pushing
    its baseline to ``<git_root>/<name>.git`` (the provider's git server)."""
    password = secrets.token_urlsafe(10)
    lab = Lab([LabDevice(name=device, password=password) for device in devices])
    lab.start()
    site = make_site(folder / name, lab, password)
    role = central.site_role(name)
    remote = make_bare(git_root / f"{name}.git")
    text = site.config_file.read_text()
    text = text.replace('name = "test-site"', f'name = "{name}"')
    text = text.replace('client = "Cabinet Test"', f'client = "{client}"')
    text += role.fleet_section(site.folder) + f'git_remote = "{remote.as_uri()}"\n'
    site.config_file.write_text(text)
    site.settings = load_settings(site.config_file)
    return site, lab


def account(central: Central, login: str, role: str, client: str | None, name: str) -> Account:
    """A web account with a random password (the names show in the docs' screenshots)."""
    password = secrets.token_urlsafe(18)
    add_user(central.engine, login, role, client, password, display_name=name)
    return Account(login, password)


def sync(site: LabSite) -> None:
    """What the daemon's fleet-sync job does: copy the rows, push the baseline."""
    sync_site(site.settings)
    push_baseline_to_fleet(site.settings)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    central_factory: Callable[[], Central],
    web_server_factory: Callable[..., WebServer],
) -> Iterator[World]:
    """Cabinet Dupont (two switches, one unauthorized VLAN left open) and Clinique Martin (one
    switch), polled over SSH and synced; the web server reads their git remotes."""
    central = central_factory()
    folder = tmp_path_factory.mktemp("browser")
    git_root = folder / "git"
    git_root.mkdir()
    dupont, dupont_lab = fleet_site(
        folder, central, git_root, "cabinet-dupont", DUPONT, ["sw01", "sw02"]
    )
    martin, martin_lab = fleet_site(folder, central, git_root, "clinique-martin", MARTIN, ["sw01"])
    try:
        for site in (dupont, martin):
            assert run_poll(site.settings).exit_code == 0
        dupont.device("sw01").configure(VLAN_CHANGE)
        assert run_poll(dupont.settings).exit_code == 3  # drift: left open, unauthorized
        for site in (dupont, martin):
            sync(site)
        accounts = [
            account(central, "dupont", "client", DUPONT, "Dr Anne Dupont"),
            account(central, "martin", "client", MARTIN, "Dr Paul Martin"),
            account(central, "tech", "technician", None, "Lucas Technicien"),
        ]
        web = web_server_factory(git_root=git_root)
        yield World(web, {"cabinet-dupont": dupont, "clinique-martin": martin}, *accounts)
    finally:
        dupont_lab.stop()
        martin_lab.stop()


def log_in(page: Page, world: World, account: Account) -> None:
    """Log in through the form, as a person does; lands on the fleet overview."""
    page.goto(f"{world.web.url}/login")
    page.get_by_label("Identifiant").fill(account.login)
    page.get_by_label("Mot de passe").fill(account.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{world.web.url}/")


def log_out(page: Page, world: World) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{world.web.url}/")  # the session is gone: back to the login page
    expect(page).to_have_url(re.compile(r"/login\?next="))


def site_rows(page: Page) -> list[str]:
    """The sites the fleet overview lists."""
    return sorted(
        page.locator("tr[data-site]").evaluate_all("rows => rows.map(r => r.dataset.site)")
    )


def test_a_wrong_password_shows_the_french_error(
    page: Page, world: World, screenshots: Path
) -> None:
    page.goto(f"{world.web.url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    shoot(page, screenshots, "login")
    page.get_by_label("Identifiant").fill(world.dupont.login)
    page.get_by_label("Mot de passe").fill(world.dupont.password + "x")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    expect(page.get_by_label("Identifiant")).to_have_value(world.dupont.login)
    expect(page.get_by_label("Mot de passe")).to_have_value("")  # never sent back
    assert world.dupont.password not in page.content()


def test_a_client_sees_only_its_sites_opens_a_drift_diff_and_logs_out(
    page: Page, world: World, screenshots: Path
) -> None:
    log_in(page, world, world.dupont)
    assert site_rows(page) == ["cabinet-dupont"]
    expect(page.locator("main")).not_to_contain_text(MARTIN)
    page.get_by_role("link", name="cabinet-dupont").click()
    expect(page).to_have_url(f"{world.web.url}/sites/cabinet-dupont")
    drift = page.locator("article.drift.verdict-unauthorized")
    expect(drift).to_have_count(1)
    expect(drift.locator("h3")).to_contain_text("sw01")
    expect(drift.locator("pre.diff span.add", has_text="vlan 40")).to_be_visible()
    expect(page.locator("tr[data-device]")).to_have_count(2)
    shoot(page, screenshots, "site")
    missing = page.goto(f"{world.web.url}/sites/clinique-martin")
    assert missing is not None and missing.status == 404  # as if it did not exist
    page.goto(f"{world.web.url}/")
    log_out(page, world)


def test_a_technician_sees_every_site(page: Page, world: World, screenshots: Path) -> None:
    log_in(page, world, world.technician)
    assert site_rows(page) == ["cabinet-dupont", "clinique-martin"]
    shoot(page, screenshots, "overview")


def test_a_client_compares_two_configurations_of_a_device(
    page: Page, world: World, screenshots: Path
) -> None:
    log_in(page, world, world.dupont)
    page.goto(f"{world.web.url}/sites/cabinet-dupont/devices/sw01")
    expect(page.locator("h1")).to_contain_text("sw01")
    revisions = page.locator("table.history tbody tr")
    expect(revisions.first).to_be_visible()
    revisions.last.locator("input[name=from]").check()  # the oldest: the first poll
    revisions.first.locator("input[name=to]").check()  # the newest: the unauthorized VLAN
    page.locator("form.history").get_by_role("button").click()
    diff = page.locator("section.diff[data-diff=ok] pre.diff")
    expect(diff.locator("span.add", has_text="vlan 40")).to_be_visible()
    expect(diff.locator("span.add", has_text="name CFAO-TEMP")).to_be_visible()
    shoot(page, screenshots, "device")
    # another clinic's device does not exist for this client
    missing = page.goto(f"{world.web.url}/sites/clinique-martin/devices/sw01")
    assert missing is not None and missing.status == 404


def draft_and_submit(page: Page, world: World, screenshots: Path) -> str:
    """The technician drafts a plan for cabinet-dupont in the form and sends it to the client;
    the plan page's URL."""
    page.goto(f"{world.web.url}/sites/cabinet-dupont/plans")
    page.get_by_role("link", name="Nouveau plan de changement").click()
    page.get_by_label("Objet").fill("VLAN 50 pour le nouveau scanner intra-oral")
    page.get_by_label("sw01").check()
    page.locator("input[name=categories][value=vlan]").check()
    page.get_by_label("Début", exact=True).fill("2027-01-12T19:00")
    page.get_by_label("Fin", exact=True).fill("2027-01-12T21:00")
    page.get_by_label("Plan de retour arrière").fill("no vlan 50")
    page.locator("input[name=kind][value=definitive]").check()
    shoot(page, screenshots, "plan-form")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#plan-status")).to_have_text("brouillon")
    page.get_by_role("button", name="Envoyer au client pour accord").click()
    expect(page.locator("#plan-status")).to_have_text("en attente de votre accord")
    return page.url


def test_a_technician_cannot_approve_and_the_client_approves_the_plan(
    page: Page, world: World, screenshots: Path
) -> None:
    log_in(page, world, world.technician)
    plan_url = draft_and_submit(page, world, screenshots)
    expect(page.get_by_role("button", name="J'approuve ce plan")).to_have_count(0)
    sha256 = page.locator("#plan-sha256").inner_text()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(  # what the button would post, with the technician's session
        f"{plan_url}/approve", form={"csrf": csrf or "", "sha256": sha256, "comment": "ok"}
    )
    assert forged.status == 403
    page.reload()
    expect(page.locator("#plan-status")).to_have_text("en attente de votre accord")
    log_out(page, world)

    log_in(page, world, world.dupont)
    page.goto(plan_url)
    expect(page.locator("#plan-text")).to_contain_text("sw01")
    shoot(page, screenshots, "plan")
    page.get_by_label("Commentaire (facultatif)").fill("D'accord pour mardi soir.")
    page.get_by_role("button", name="J'approuve ce plan").click()
    expect(page.locator("#plan-status")).to_have_text("approuvé")
    expect(page.locator("dl.plan-facts")).to_contain_text("Dr Anne Dupont (dupont)")
    expect(page.locator("dl.plan-facts")).to_contain_text("D'accord pour mardi soir.")
    expect(page.locator("#plan-sha256")).to_have_text(sha256)  # the plan read is the one approved
    expect(page.locator("dl.plan-facts")).to_contain_text("depuis 127.0.0.1")  # from where
    expect(page.get_by_role("button", name="J'approuve ce plan")).to_have_count(0)
    log_out(page, world)

    log_in(page, world, world.martin)  # another clinic's client: the plan does not exist
    missing = page.goto(plan_url)
    assert missing is not None and missing.status == 404
