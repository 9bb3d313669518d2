"""The workshop as a working surface, in a real headless Chromium at the three screens a
workshop meets (projector, laptop, phone): one page load per screen checks the map drawn by
the graph library, every view, and the actions done by clicking and typing, their effect read
back through GraphQL. Screenshots of each view land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph import seeding
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.browser.conftest import SCREENS, TIMEOUT_MS, Person, click_node, sign_in
from tests.factories import make_caller
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

OPS = "seg-mid-market-ops"

# Every pair of boxes drawn on the map (labels included) that overlap.
OVERLAPS = """() => {
  const boxes = window.workshopMap.nodes(':visible')
    .map((n) => [n.id(), n.renderedBoundingBox({includeLabels: true})]);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) hits.push(a + ' / ' + b);
  }
  return {count: boxes.length, hits};
}"""
MAP_READY = "() => window.workshopMap && window.workshopMap.nodes().length > 5"


async def reads_plainly(person: Person) -> None:
    """No programmer's words leak into what the page says."""
    text = await person.page.locator("body").inner_text()
    words = set(text.replace("(", " ").replace(")", " ").split())
    assert not words & {"null", "undefined", "NaN"}, f"{person.name}: {words & {'null'}}"


async def fits_the_screen(person: Person) -> None:
    width = await person.page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert width[0] <= width[1], f"{person.name}: the page is {width[0]} px wide in {width[1]}"


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_the_workshop_at_each_screen(
    screen: str, db: Database, live_server: LiveServer, chromium: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    await seeding.load_demo(db)
    grace = await make_caller(db, "leadership", Role.FACILITATOR)
    person = await sign_in(chromium, live_server, grace.token, screen, SCREENS[screen])
    page = person.page

    # The map: every box readable, none on top of another, nothing wider than the screen.
    await page.wait_for_function(MAP_READY)
    await page.screenshot(path=str(artifacts / f"surface-{screen}-map.png"))
    found = await page.evaluate(OVERLAPS)
    assert found["count"] > 10 and found["hits"] == [], found
    await fits_the_screen(person)
    await reads_plainly(person)

    # Click a box: its evidence opens, and the address names the node.
    await click_node(page, "pain-slow-onboarding")
    await expect(page.locator(".drawer .evidence-item").first).to_be_visible()
    assert "node=pain-slow-onboarding" in page.url
    await page.screenshot(path=str(artifacts / f"surface-{screen}-evidence.png"), full_page=True)
    await fits_the_screen(person)

    # Search, then show only that node's neighbours.
    await page.keyboard.press("Escape")
    search = page.locator(".map-search")
    await search.fill("HubSpot")
    await expect(page.locator(".map-found")).to_contain_text("1 found")
    await search.press("Enter")
    await expect(page.locator(".drawer .detail-title")).to_contain_text("HubSpot")
    await page.locator(".map-focus").click()
    shown = await page.evaluate("() => window.workshopMap.nodes(':visible').length")
    assert 1 < shown < found["count"]
    await page.screenshot(path=str(artifacts / f"surface-{screen}-focus.png"))
    await page.locator(".map-show-all").click()
    assert (
        await page.evaluate("() => window.workshopMap.nodes(':visible').length") == (found["count"])
    )

    # A node's address, opened fresh, focuses that node.
    await page.goto(f"{live_server.url}/workshop#seg={OPS}&node=pain-missing-integrations")
    await page.wait_for_function(MAP_READY)
    await expect(page.locator(".drawer .detail-title")).to_contain_text("aren't connected")
    picked = await page.evaluate("() => window.workshopMap.$('.picked').map((n) => n.id())")
    assert "pain-missing-integrations" in picked

    assert person.errors == [] and person.outside == [], (person.errors, person.outside)
    await person.context.close()
