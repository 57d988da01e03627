"""Headless Chromium for the dashboard tests: Debian's /usr/bin/chromium driven by Playwright
(no browser download), one browser per test module, a fresh context (own localStorage)
per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.org_client import eventually
from tests.support.stack import Stack

CHROMIUM = Path(os.environ.get("GRASSROOTS_CHROMIUM", "/usr/bin/chromium"))
WIDTH, HEIGHT = 1280, 900


# Module scope, not session: Playwright's sync API keeps an event loop running while it
# is open, and the tests after these (asyncio.run, async tests) need the loop free.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: `apt-get install chromium` (.ci/run installs it)")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield found
        found.close()


@pytest.fixture(scope="session")
def dashboard(stack: Stack) -> str:
    """The page's address, once the projections service serves it."""
    url = f"{stack.url('projections')}/dashboard"

    def served() -> str:
        answer = httpx.get(url, timeout=5)
        assert answer.status_code == 200, (url, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), answer.headers
        return url

    return eventually(served, timeout=30, interval=0.5)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    tab = context.new_page()
    uncaught: list[str] = []
    tab.on("pageerror", lambda error: uncaught.append(str(error)))
    yield tab
    context.close()
    assert not uncaught, f"the page threw: {uncaught}"
