"""The workshop as a working surface, in a real headless Chromium at the three screens a
workshop meets (projector, laptop, phone): one page load per screen checks the map drawn by
the graph library, every view, and the actions done by clicking and typing, their effect read
back through GraphQL. Screenshots of each view land in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph import propositions, seeding
from graph.kit.connection import Database
from schema.vocabulary import Relation, Role
from tests.browser.conftest import SCREENS, TIMEOUT_MS, Person, click_node, sign_in
from tests.factories import make_caller
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

OPS = "seg-mid-market-ops"
ONBOARDING = propositions.proposition_id(OPS, Relation.EXPERIENCES, "pain-slow-onboarding")

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


async def read_back(server: LiveServer, token: str, query: str, **variables: Any) -> Any:
    """What the API says now: every action's effect is checked here, not in the page."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def evidence_on(server: LiveServer, token: str, proposition_id: str) -> list[str]:
    data = await read_back(
        server,
        token,
        "query($id: ID!) { evidenceItems(propositionId: $id, first: 100) "
        "{ nodes { summary sourceRef sourceType } } }",
        id=proposition_id,
    )
    return [n["summary"] for n in data["evidenceItems"]["nodes"]]


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


async def scroll_to(page: Any, selector: str) -> None:
    """Scroll the first element matching ``selector`` into view, for a screenshot. A live
    update may redraw a view at any moment (the page hears of every write), so this finds
    whatever element is there now instead of holding one that a redraw detaches."""
    await page.evaluate(
        "(s) => document.querySelector(s)?.scrollIntoView({block: 'center'})", selector
    )


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
    # What is drawn, read once the map has drawn the change (the library answers ":visible"
    # from a cache that catches up on its next frame).
    await page.wait_for_function(
        "(n) => { const v = window.workshopMap.nodes(':visible').length; return 1 < v && v < n; }",
        arg=found["count"],
    )
    await page.screenshot(path=str(artifacts / f"surface-{screen}-focus.png"))
    await page.locator(".map-show-all").click()
    await page.wait_for_function(
        "(n) => window.workshopMap.nodes(':visible').length === n", arg=found["count"]
    )

    # Add evidence: a missing quote is said beside the field and nothing is written.
    await click_node(page, "pain-slow-onboarding")
    drawer = page.locator(".drawer")

    before = await evidence_on(live_server, grace.token, ONBOARDING)
    form = drawer.locator(".evidence-form")
    await drawer.locator("summary", has_text="Add evidence").click()
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".form-field:has([name=quote]) .field-error")).to_contain_text(
        "Write the quote"
    )
    assert await evidence_on(live_server, grace.token, ONBOARDING) == before
    quote = f"We spent three weeks wiring our sources ({screen})"
    await form.locator("textarea[name=quote]").fill(quote)
    await form.locator("select[name=source]").select_option("interview")
    await form.locator("input[name=ref]").fill(f"interview-{screen}")
    await form.locator("select[name=account]").select_option(index=1)
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".form-status")).to_contain_text("Added")
    assert quote in await evidence_on(live_server, grace.token, ONBOARDING)
    await scroll_to(page, ".drawer .evidence-form")
    await page.screenshot(path=str(artifacts / f"surface-{screen}-add-evidence.png"))
    # Filter the evidence by source: only the interviews stay.
    every = await drawer.locator(".evidence-item").count()
    await drawer.locator("select[name=filter-source]").select_option("interview")
    interviews = await drawer.locator(".evidence-item").count()
    assert 0 < interviews < every
    await expect(drawer.locator(".evidence-item").filter(has_text=quote)).to_have_count(1)
    await drawer.locator("select[name=filter-source]").select_option("")

    # State a belief (a bad p is refused beside the field), then withdraw it.
    belief = drawer.locator(".belief-form")
    await drawer.locator("summary", has_text="belief").first.click()
    await belief.locator("input[name=p]").fill("1.7")
    await belief.locator("button[type=submit]").click()
    await expect(belief.locator(".form-field:has(input[name=p]) .field-error")).to_contain_text(
        "from 0"
    )
    await belief.locator("input[name=p]").fill("0.85")
    await belief.locator("select[name=magnitude]").select_option("4")
    await belief.locator("textarea[name=rationale]").fill("Three interviews say so")
    await belief.locator("button[type=submit]").click()
    await expect(belief.locator(".form-status")).to_contain_text("now holds 0.85")
    history = (
        'query($id: ID!) { beliefs(propositionId: $id, function: "leadership") { p withdrawn } }'
    )
    stated = await read_back(live_server, grace.token, history, id=ONBOARDING)
    assert stated["beliefs"][-1] == {"p": 0.85, "withdrawn": False}
    await belief.locator("button.withdraw").click()
    await expect(belief.locator(".form-status")).to_contain_text("Withdrawn")
    stated = await read_back(live_server, grace.token, history, id=ONBOARDING)
    assert stated["beliefs"][-1]["withdrawn"] is True

    # Record a decision resting on this statement.
    decision = drawer.locator(".decision-form")
    await drawer.locator("summary", has_text="Record a decision").click()
    title = f"Fix onboarding first ({screen})"
    await decision.locator("input[name=title]").fill(title)
    await decision.locator("button[type=submit]").click()
    await expect(decision.locator(".form-status")).to_contain_text("Recorded")
    decided = await read_back(
        live_server, grace.token, "{ decisions(first: 100) { nodes { title } } }"
    )
    assert title in [d["title"] for d in decided["decisions"]["nodes"]]
    await page.keyboard.press("Escape")

    # A new statement, about a new pain.
    statement = page.locator(".statement-form")
    await page.locator("summary", has_text="New statement").click()
    await statement.locator("button[type=submit]").click()
    await expect(statement.locator(".form-field:has([name=shape]) .field-error")).to_contain_text(
        "Choose what kind"
    )
    await statement.locator("select[name=shape]").select_option(index=2)  # experiences a pain
    await statement.locator("input[name=object-new]").fill(f"No export to Excel {screen}")
    await statement.locator("button[type=submit]").click()
    await expect(statement.locator(".form-status")).to_contain_text("Created")
    listed = await read_back(
        live_server,
        grace.token,
        "query($seg: ID!) { propositions(segmentId: $seg, first: 100) { nodes { id text } } }",
        seg=OPS,
    )
    created = [
        p for p in listed["propositions"]["nodes"] if f"No export to Excel {screen}" in p["text"]
    ]
    assert created

    # Every divergence view, as tables; opposing gaps first; merge a duplicate pair.
    await page.locator('.tab[data-view="divergences"]').click()
    await expect(page.locator("#div-gaps tbody tr").first).to_be_visible()
    kinds = await page.locator("#div-gaps tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.className)"
    )
    assert kinds == sorted(kinds, key=lambda k: k != "opposing"), kinds
    for section in ("gaps", "disagreements", "blind", "debt", "priorities", "structural"):
        await expect(page.locator(f"#div-{section}")).to_be_visible()
    await page.screenshot(path=str(artifacts / f"surface-{screen}-divergences.png"))
    await fits_the_screen(person)
    await reads_plainly(person)
    pair = page.locator(".duplicate").first
    keep_id, merge_id = (await pair.get_attribute("data-pair") or "").split("|")
    await scroll_to(page, ".duplicate")
    await page.screenshot(path=str(artifacts / f"surface-{screen}-duplicates.png"))
    await pair.locator("button.merge").click()
    await expect(pair.locator(".form-status")).to_contain_text("Merged")
    merged = await read_back(
        live_server, grace.token, "query($id: ID!) { entity(id: $id) { id } }", id=merge_id
    )
    assert merged["entity"]["id"] == keep_id

    # What the room learns: decisions at risk first, with what moved them; whose picture has
    # been right; which evidence to collect next.
    await page.locator('.tab[data-view="learning"]').click()
    first = page.locator('#learn-decisions .decision[data-decision="dec-connectors-first"]')
    await expect(first).to_be_visible()
    kinds = await page.locator("#learn-decisions .decision").evaluate_all(
        "(items) => items.map((d) => d.classList.contains('at-risk'))"
    )
    assert kinds == sorted(kinds, reverse=True) and kinds[-1] is False, kinds
    await expect(first.locator(".risk-tag")).to_have_text("⚠ At risk")
    moved = first.locator(".basis.moved")
    await expect(moved.locator(".basis-change")).to_contain_text("Contested")
    await expect(moved.locator(".reasons li").first).to_contain_text("contested")
    await moved.locator(".moved-by summary").click()
    await expect(moved.locator(".moved-by li").first).to_contain_text("“")
    await page.screenshot(path=str(artifacts / f"surface-{screen}-decisions.png"))
    await fits_the_screen(person)
    calibration = page.locator("#learn-calibration")
    await scroll_to(page, "#learn-calibration")
    await expect(calibration.locator("tbody tr[data-function=success]")).to_be_visible()
    await expect(calibration.locator("tbody tr[data-function=marketing]")).to_have_class(
        "calibration-poor"
    )
    assert await calibration.locator("svg.reliability-chart circle").count() > 10
    await page.screenshot(path=str(artifacts / f"surface-{screen}-calibration.png"))
    collect = page.locator("#learn-next")
    await scroll_to(page, "#learn-next")
    assert await collect.locator("tbody tr").count() > 3
    await expect(collect.locator("tbody tr").first.locator("td").nth(4)).to_have_text(
        re.compile(r"^\d+$")
    )
    await page.screenshot(path=str(artifacts / f"surface-{screen}-next-evidence.png"))
    await fits_the_screen(person)
    await reads_plainly(person)

    # A decision falls at risk while the page is open: the page says so without a reload.
    risky = f"Promise Excel export ({screen})"
    await read_back(
        live_server,
        grace.token,
        "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { id } }",
        i={"title": risky, "propositionIds": [created[0]["id"]]},
    )
    await read_back(
        live_server,
        grace.token,
        "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }",
        i=[
            {
                "sourceType": "interview",
                "summary": f"We never export to Excel, we live in the dashboard ({n})",
                "sourceRef": f"interview-excel-{screen}-{n}",
                "bears": [{"propositionId": created[0]["id"], "stance": "CONTRADICTS"}],
            }
            for n in range(5)
        ],
    )
    await expect(page.locator(".risk-banner")).to_contain_text(risky)
    await expect(page.locator(f'#learn-decisions .decision:has-text("{risky}")')).to_have_class(
        re.compile("at-risk")
    )
    await page.evaluate(
        "() => { window.scrollTo(0, 0); document.getElementById('content').scrollTop = 0; }"
    )
    await page.screenshot(path=str(artifacts / f"surface-{screen}-decision-notice.png"))
    await fits_the_screen(person)
    await page.locator(".risk-banner .dismiss").click()
    await expect(page.locator(".risk-banner")).to_have_count(0)

    # The heatmap and the vote set-up fit the screen too.
    for view in ("heatmap", "vote"):
        await page.locator(f'.tab[data-view="{view}"]').click()
        await page.screenshot(path=str(artifacts / f"surface-{screen}-{view}.png"))
        await fits_the_screen(person)
        await reads_plainly(person)

    # A vote needs two ballots from a function: one product ballot leaves product short, the
    # facilitator sees so, and the reveal leaves product's belief as it was.
    await page.locator(f'.picker input[data-proposition="{ONBOARDING}"]').check()
    await page.locator(".vote-setup button[type=submit]").click()
    await expect(page.locator(".vote-header")).to_be_visible()
    product = await make_caller(db, "product")
    vote_id = (await read_back(live_server, product.token, "{ votes(status: OPEN) { id } }"))[
        "votes"
    ][0]["id"]
    await read_back(
        live_server,
        product.token,
        "mutation($v: ID!, $p: ID!) { castBallot(voteId: $v, propositionId: $p, p: 0.2) { id } }",
        v=vote_id,
        p=ONBOARDING,
    )
    await expect(page.locator(".short li[data-function=product]")).to_contain_text("has 1 of 2")
    # Functions that cast nothing are short too, and named as such.
    await expect(page.locator(".not-voted")).to_contain_text("No ballots yet from Marketing")
    await page.screenshot(path=str(artifacts / f"surface-{screen}-vote-short.png"))
    await fits_the_screen(person)
    await page.locator(".facilitator-actions .reveal").click()
    await expect(page.locator(".result-card .too-few")).to_contain_text("Product (1)")
    await page.screenshot(path=str(artifacts / f"surface-{screen}-vote-results.png"))
    await fits_the_screen(person)
    current = await read_back(
        live_server,
        grace.token,
        'query($id: ID!) { beliefs(propositionId: $id, function: "product") { p voteId } }',
        id=ONBOARDING,
    )
    assert current["beliefs"][-1]["voteId"] != vote_id  # product's belief did not move

    # The same boxes as a list, for the keyboard: Enter on one opens it.
    await page.locator('.tab[data-view="map"]').click()
    await page.locator(".map-list summary").click()
    await page.locator('.map-list button[data-node="pain-numbers-dont-match"]').focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".drawer .detail-title")).to_contain_text("Numbers don't match")
    assert "node=pain-numbers-dont-match" in page.url

    # A node's address, opened fresh, focuses that node.
    await page.goto(f"{live_server.url}/workshop#seg={OPS}&node=pain-missing-integrations")
    await page.wait_for_function(MAP_READY)
    await expect(page.locator(".drawer .detail-title")).to_contain_text("aren't connected")
    picked = await page.evaluate("() => window.workshopMap.$('.picked').map((n) => n.id())")
    assert "pain-missing-integrations" in picked

    assert person.errors == [] and person.outside == [], (person.errors, person.outside)
    await person.context.close()
