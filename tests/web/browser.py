"""Playwright driving Debian's Chromium for the browser tests (tests/web/test_browser.py).

The browser is ``/usr/bin/chromium`` from the Debian package (``./dev.sh test`` installs it),
never one downloaded by ``playwright install``: the tests need no network beyond the package
registries. One browser per module, a fresh context (cookies, storage) per test.

Screenshots go to ``tmp_path`` unless ``PRISME_WEB_SCREENSHOTS`` names a folder: then the tests
write ``web-<name>.png`` there, which is how docs/img/web-*.png are regenerated::

    PRISME_WEB_SCREENSHOTS=docs/img .venv/bin/python -m pytest tests/web/test_browser.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS_ENV = "PRISME_WEB_SCREENSHOTS"
# the docs show the pages at a laptop's size; fixed, so that regenerated images compare
VIEWPORT = {"width": 1280, "height": 800}
# a failing step fails within seconds, not at pytest's 120 s timeout
STEP_TIMEOUT_MS = 15_000


def launch_args() -> list[str]:
    """Chromium's sandbox needs user namespaces a root process (CI containers) cannot use."""
    return ["--no-sandbox"] if os.geteuid() == 0 else []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, shared by the tests of one module.

    Module scope, not session: while Playwright's sync API is started it leaves its event loop
    marked as running in the main thread, and any later test calling ``asyncio.run`` there
    would fail. Closing the browser with the module keeps the rest of the suite unaffected."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run ./dev.sh test (it installs Debian's chromium as root), "
            "or: sudo apt-get install -y chromium"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=launch_args()
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context: no cookie or session left by another test."""
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        locale="fr-FR",
        timezone_id="Indian/Reunion",
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """The folder the tests save their screenshots in (see the module docstring)."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = ROOT / chosen if chosen else tmp_path / "screenshots"  # relative: to the checkout
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page: Page, folder: Path, name: str) -> Path:
    """Save the whole page as ``web-<name>.png`` in ``folder`` and return the file."""
    path = folder / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
