"""Browser fixtures: a real uvicorn serving the app on a free port, and Debian's Chromium.

The server runs in a thread with its own event loop and its own driver, against the test
database (the ``db`` fixture wipes the graph before each test; the server is stateless).
Chromium is the system package (``apt-get install chromium``), never a browser download.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase
from tests.factories import settings_for_target
from tests.live_server import LiveServer, serve

CHROMIUM = os.environ.get("COMMONGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 800}
# The screens a workshop meets: the room's projector, a laptop, a phone.
SCREENS = {
    "projector": {"width": 1920, "height": 1080},
    "laptop": {"width": 1440, "height": 900},
    "phone": {"width": 390, "height": 844},
}
TIMEOUT_MS = 30_000  # generous: CI machines are shared


class Person:
    """One person's browser context and page; every console error, and every request the
    page made to anywhere but this server."""

    def __init__(self, context: Any, page: Any, name: str, origin: str) -> None:
        self.context = context
        self.page = page
        self.name = name
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def note(request: Any) -> None:
            if not request.url.startswith((origin, "data:", "blob:", "about:")):
                self.outside.append(request.url)

        page.on("request", note)


async def sign_in(
    chromium: Any, server: LiveServer, token: str, name: str, viewport: dict[str, int] | None = None
) -> Person:
    """Open the sign-in link as a person would: confirm it when the page asks, then wait for
    the workshop to load."""
    context = await chromium.new_context(viewport=viewport or VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    person = Person(context, page, name, server.url)
    await page.goto(f"{server.url}/workshop?token={token}")
    confirm = page.locator("#confirm-sign-in")
    if await confirm.count():
        await confirm.click()
        await page.wait_for_load_state()
        if not page.url.endswith("/workshop"):
            # The form did not take (an older browser's Origin rule): sign in as the page's own
            # script would, with the JSON form of the same request.
            await page.goto(f"{server.url}/workshop")
            status = await page.evaluate(
                """(token) => fetch('/workshop/sign-in', {method: 'POST',
                     headers: {'Content-Type': 'application/json'},
                     body: JSON.stringify({token})}).then((r) => r.status)""",
                token,
            )
            assert status in (200, 204, 303), status
            await page.reload()
    assert "token=" not in page.url  # the token left the address bar
    await page.wait_for_selector(".topbar")
    # From here on, what the workshop itself logs (the sign-in pages are tested on their own).
    person.errors.clear()
    return person


@pytest.fixture(scope="module")
def live_server(neo4j_target: TestDatabase) -> Iterator[LiveServer]:
    """The API and the workshop page on http://127.0.0.1:<free port>, ready for requests."""
    with serve(settings_for_target(neo4j_target.target)) as server:
        yield server


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


async def click_node(page: Any, node_id: str) -> None:
    """Click a box on the workshop's map where it is drawn, as a person would; the page's
    address then names it. (Live updates may move the layout between looking and clicking:
    then look again and click again.)"""
    await page.wait_for_function(
        "(id) => window.workshopMap && window.workshopMap.getElementById(id).nonempty()",
        arg=node_id,
    )
    canvas = page.locator(".map-canvas")
    for _ in range(3):
        await canvas.evaluate("(e) => e.scrollIntoView({block: 'center'})")
        spot = await page.evaluate(
            """(id) => { const cy = window.workshopMap; const n = cy.getElementById(id);
                 cy.center(n); return n.renderedPosition(); }""",
            node_id,
        )
        box = await canvas.bounding_box()
        assert box is not None
        await page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
        if f"node={node_id}" in page.url:
            return
    raise AssertionError(f"clicking {node_id} on the map did not pick it ({page.url})")
