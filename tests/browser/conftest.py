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
