"""The HTML snapshot report, rendered by a real headless Chromium: self-contained, charts there."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.export import export
from graph.snapshots.figures import figures_for
from schema.models import Actor
from tests.graph.snapshots.factories import BASE, SMALL_FUNCTIONS, small_company

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COMMONGROUND_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)


async def test_the_html_report_renders_its_charts_offline(db: Database) -> None:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - one stat before the test starts
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    await small_company(db)
    figures = figures_for(EngineSettings())
    await snapshots.create(
        db, Actor.system(), figures, label="Kick-off", as_of=BASE + timedelta(days=1, hours=2)
    )
    info, _ = await snapshots.create(db, Actor.system(), figures, label="Quarterly review")
    pieces = [piece async for piece in export(db, info.id, "html")]
    page_file = ARTIFACTS / "snapshot-report.html"
    await asyncio.to_thread(_write, page_file, b"".join(pieces))
    stored = await snapshots.figures(db, info.id)

    requests: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            await page.goto(page_file.as_uri())
            await page.wait_for_load_state("load")
            assert await page.locator("h1").inner_text() == "Alignment snapshot: Quarterly review"
            assert "As of" in await page.locator(".asof").inner_text()
            assert await page.locator("ul.plain li").count() >= 3

            rows = len(stored["heatmap"]["rows"])
            columns = len(stored["heatmap"]["functions"]) + 1  # and the evidence column
            assert rows == 6 and columns == len(SMALL_FUNCTIONS) + 1
            assert await page.locator("svg#heatmap rect.cell").count() == rows * columns
            assert await page.locator("svg#heatmap rect.cell.parts").count() > 0
            charted = [r for r in stored["gaps_by_function"] if r["beliefs_with_evidence"]]
            assert await page.locator("svg#gaps rect.bar").count() == 2 * len(charted)
            assert await page.locator("svg#history circle.point").count() == 2
            assert await page.locator("svg#history circle.point.current").count() == 1
            box = await page.locator("svg#heatmap").bounding_box()
            assert box is not None and box["width"] > 400 and box["height"] > 100
            await page.screenshot(path=str(ARTIFACTS / "snapshot-report.png"), full_page=True)
        finally:
            await browser.close()
    assert requests == [page_file.as_uri()], "the report fetched something besides itself"
