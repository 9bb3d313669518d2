"""Someone else's write arrives while a person types or clicks: the page redraws itself with
the news, and what the person was doing carries on. (Found by the browser suite: a redraw in
the middle of typing took the keyboard out of the decision form, and one between a button's
press and release lost the click.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graph import seeding
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.browser.conftest import TIMEOUT_MS, click_node, sign_in
from tests.factories import Caller, gql, make_caller
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

OPS = "seg-mid-market-ops"
# How many boxes the map holds, and how many it draws.
NODES = "window.workshopMap.nodes().length"
VISIBLE = "window.workshopMap.nodes(':visible').length"


async def someone_adds_a_pain(server: LiveServer, caller: Caller, name: str) -> None:
    """Another tool writes a new pain for the segment: every open page hears of it."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        made: Any = await gql(
            http,
            caller,
            "mutation($i: CreateEntityInput!) { createEntity(input: $i) { id } }",
            i={"kind": "PAIN", "name": name},
        )
        assert not made.get("errors"), made
        linked = await gql(
            http,
            caller,
            "mutation($i: CreatePropositionInput!) { createProposition(input: $i) { id } }",
            i={
                "subjectId": OPS,
                "relation": "EXPERIENCES",
                "objectId": made["data"]["createEntity"]["id"],
            },
        )
        assert not linked.get("errors"), linked


async def where(page: Any, selector: str) -> dict[str, float]:
    """Where the element is drawn now (a redraw may replace it while we look: look again;
    the new one is drawn in the same place)."""
    for _ in range(10):
        await page.locator(selector).wait_for()
        box: dict[str, float] | None = await page.locator(selector).bounding_box()
        if box is not None:
            return box
    raise AssertionError(f"{selector} is never drawn")


async def test_a_live_update_leaves_the_keyboard_and_the_click_where_they_were(
    db: Database, live_server: LiveServer, chromium: Any
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    await seeding.load_demo(db)
    grace = await make_caller(db, "leadership", Role.FACILITATOR)
    product = await make_caller(db, "product")
    person = await sign_in(chromium, live_server, grace.token, "facilitator")
    page = person.page
    await page.wait_for_function(f"() => window.workshopMap && {NODES} > 5")

    # Half-way through typing a decision, product adds a pain: the map gains a box, and the
    # rest of the sentence still lands in the field.
    await click_node(page, "pain-slow-onboarding")
    drawer = page.locator(".drawer")
    await drawer.locator("summary", has_text="Record a decision").click()
    title = drawer.locator(".decision-form input[name=title]")
    await title.click()
    await page.keyboard.type("Fix onb")
    before = await page.evaluate(f"() => {NODES}")
    await someone_adds_a_pain(live_server, product, "Invoices arrive late")
    await page.wait_for_function(f"(n) => {NODES} > n", arg=before)
    await page.keyboard.type("oarding first")
    await expect(title).to_have_value("Fix onboarding first")
    await page.keyboard.press("Escape")

    # Showing only a box's neighbours, someone presses "Show everything" just as another pain
    # arrives: the press still counts, and the new box is drawn once the button is released.
    await click_node(page, "pain-slow-onboarding")
    await page.locator(".map-focus").click()
    everything = await page.evaluate(f"() => {NODES}")
    await page.wait_for_function(f"(n) => {VISIBLE} < n", arg=everything)
    button = await where(page, ".map-show-all")
    await page.mouse.move(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    await page.mouse.down()
    async with page.expect_response(lambda r: f"/segments/{OPS}" in r.url):
        await someone_adds_a_pain(live_server, product, "Audit trail is missing")
    # Let the page finish with the news it just fetched before the button comes up.
    await page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))")
    await page.mouse.up()
    await page.wait_for_function(f"(n) => {NODES} > n && {VISIBLE} === {NODES}", arg=everything)
    await expect(page.locator(".map-focus")).to_be_visible()
    assert person.errors == []
