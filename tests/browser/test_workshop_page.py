"""The workshop page in a real headless Chromium: a facilitator and two participants of two
functions, each in their own browser context, run a blind vote on the demo company."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph import members, propositions, seeding
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import Relation, Role
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, Person, click_node, sign_in
from tests.factories import make_caller
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

OPS = "seg-mid-market-ops"
ONBOARDING = propositions.proposition_id(OPS, Relation.EXPERIENCES, "pain-slow-onboarding")
INTEGRATIONS = propositions.proposition_id(OPS, Relation.EXPERIENCES, "pain-missing-integrations")


async def cell(person: Person, function: str, proposition_id: str) -> Any:
    return person.page.locator(f'[data-cell="{function}|{proposition_id}"] .cell-value')


async def test_a_blind_vote_from_three_browsers_moves_the_heatmap(
    db: Database, live_server: LiveServer, chromium: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    await seeding.load_demo(db)
    grace = await make_caller(db, "leadership", Role.FACILITATOR)
    product = await make_caller(db, "product")
    engineering = await make_caller(db, "engineering")

    facilitator = await sign_in(chromium, live_server, grace.token, "facilitator")
    pm = await sign_in(chromium, live_server, product.token, "product")
    eng = await sign_in(chromium, live_server, engineering.token, "engineering")
    for person in (facilitator, pm, eng):
        await person.page.wait_for_function("() => window.workshopMap")
    people = [facilitator, pm, eng]

    # The map: the demo's mid-market segment, coloured by the evidence.
    page = facilitator.page
    await expect(page.locator(".intro h2")).to_have_text("Mid-market operations teams")
    edge = await page.evaluate(
        "(id) => window.workshopMap.getElementById('edge:' + id).classes()", ONBOARDING
    )
    assert {"st-validated", "disagree"} <= set(edge)
    await page.screenshot(path=str(artifacts / "workshop-map.png"))

    # Click a statement: its evidence and each function's belief.
    await click_node(page, "pain-slow-onboarding")
    drawer = page.locator(".drawer")
    await expect(drawer.locator(".evidence-item").first).to_be_visible()
    await expect(drawer.locator(".belief-table tr[data-function=engineering]")).to_contain_text(
        "0.30"
    )
    await page.screenshot(path=str(artifacts / "workshop-evidence.png"))
    await page.keyboard.press("Escape")

    # The heatmap before the vote, on a participant's page.
    await pm.page.locator('.tab[data-view="heatmap"]').click()
    engineering_cell = await cell(pm, "engineering", ONBOARDING)
    await expect(engineering_cell).to_have_text("0.30")
    await pm.page.screenshot(path=str(artifacts / "workshop-heatmap-before.png"))

    # The facilitator opens a blind vote on two statements.
    await page.locator('.tab[data-view="vote"]').click()
    for pid in (ONBOARDING, INTEGRATIONS):
        await page.locator(f'.picker input[data-proposition="{pid}"]').check()
    await page.locator(".vote-setup input[name=label]").fill("Onboarding vs. integrations")
    # A minimum below one is refused beside its field, and no vote opens.
    await page.locator(".vote-setup input[name=min_ballots]").fill("0")
    await page.locator(".vote-setup button[type=submit]").click()
    await expect(page.locator(".min-ballots-error")).to_contain_text("from 1 to 100")
    await expect(page.locator(".vote-header")).to_have_count(0)
    # One ballot may speak for a function in this small room.
    await page.locator(".vote-setup input[name=min_ballots]").fill("1")
    await page.locator(".vote-setup button[type=submit]").click()
    await expect(page.locator(".vote-header h2")).to_contain_text("Onboarding vs. integrations")

    # Both participants see it arrive without a reload, and vote from the keyboard.
    for person in (pm, eng):
        await expect(person.page.locator(".vote-banner")).to_be_visible()
        await person.page.locator(".vote-banner button").click()
        await expect(person.page.locator(".ballot")).to_have_count(2)

    onboarding_card = pm.page.locator(f'.ballot[data-proposition="{ONBOARDING}"]')
    await onboarding_card.locator("[role=radio]").first.focus()
    await pm.page.keyboard.press("5")  # very likely: 0.9
    await pm.page.keyboard.press("Tab")
    await pm.page.keyboard.press("4")  # severity 4
    await pm.page.keyboard.press("Enter")
    await expect(onboarding_card.locator(".ballot-status")).to_contain_text("Submitted")
    integrations_card = pm.page.locator(f'.ballot[data-proposition="{INTEGRATIONS}"]')
    await integrations_card.locator("[role=radio]").nth(3).click()  # likely: 0.7
    await integrations_card.locator(".ballot-actions button").click()
    await expect(integrations_card.locator(".ballot-status")).to_contain_text("Submitted")

    eng_card = eng.page.locator(f'.ballot[data-proposition="{ONBOARDING}"]')
    await eng_card.locator("[role=radio]").first.focus()
    await eng.page.keyboard.press("ArrowRight")  # unlikely: 0.3 ...
    await eng.page.keyboard.press("ArrowRight")  # ... can't say: 0.5
    await eng.page.keyboard.press("ArrowRight")  # ... likely: 0.7
    await eng.page.keyboard.press("Enter")
    await expect(eng_card.locator(".ballot-status")).to_contain_text("Submitted")

    # Nobody sees another's answer: engineering's page shows only its own ballot and counts.
    await expect(eng.page.locator(".vote-progress")).to_contain_text("2 people have voted")
    assert "0.9" not in await eng.page.locator(".vote-view").inner_text()
    await expect(page.locator(".vote-progress")).to_contain_text("2 people have voted")
    await eng.page.screenshot(path=str(artifacts / "workshop-ballot.png"))
    await page.screenshot(path=str(artifacts / "workshop-vote-progress.png"))

    # The reveal: one belief per function, the median of its ballots, beside the evidence.
    await page.locator(".facilitator-actions .reveal").click()
    results = page.locator(f'.result-card[data-proposition="{ONBOARDING}"]')
    await expect(results.locator("tr[data-function=engineering]")).to_contain_text("0.70")
    # Before → after: engineering held 0.30 before the vote.
    await expect(results.locator("tr[data-function=engineering] .before-after")).to_have_text(
        "0.30 → 0.70"
    )
    await expect(results.locator("tr[data-function=product]")).to_contain_text("0.90")
    await expect(results.locator(".result-evidence")).to_contain_text("validated")
    await page.screenshot(path=str(artifacts / "workshop-results.png"), full_page=True)

    # Every open page follows: the participant's heatmap cell changes without a reload.
    await pm.page.locator('.tab[data-view="heatmap"]').click()
    await expect(engineering_cell).to_have_text("0.70")
    await expect(
        pm.page.locator(f'[data-cell="engineering|{ONBOARDING}"] .cell-vote')
    ).to_be_visible()
    await pm.page.screenshot(path=str(artifacts / "workshop-heatmap-after.png"))
    await expect(eng.page.locator(f'.result-card[data-proposition="{ONBOARDING}"]')).to_be_visible()

    # The projector mode: large type at the same size of screen.
    await page.locator(".topbar .toggle").click()
    await expect(page.locator("html")).to_have_class("projector")
    await page.screenshot(path=str(artifacts / "workshop-projector-results.png"))
    await page.locator('.tab[data-view="heatmap"]').click()
    await page.screenshot(path=str(artifacts / "workshop-projector-heatmap.png"))
    await page.locator('.tab[data-view="divergences"]').click()
    await expect(page.locator(".div-section").first).to_be_visible()
    await page.screenshot(path=str(artifacts / "workshop-projector-divergences.png"))
    await page.locator('.tab[data-view="map"]').click()
    await page.screenshot(path=str(artifacts / "workshop-projector-map.png"))

    for person in people:
        assert person.errors == [], f"{person.name}: {person.errors}"
        await person.context.close()


async def test_signing_in_an_empty_model_and_a_revoked_token_say_what_to_do(
    db: Database, live_server: LiveServer, chromium: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = await chromium.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    await page.goto(f"{live_server.url}/workshop")
    await expect(page.locator(".signin")).to_contain_text("commonground token create")
    await expect(page.locator(".signin .problem")).to_have_count(0)  # not an error: just how
    await page.screenshot(path=str(artifacts / "workshop-signin.png"))

    await page.goto(f"{live_server.url}/workshop?token=cg_expired-or-wrong")
    await expect(page.locator(".signin .problem")).to_contain_text("did not work")
    assert page.url.endswith("/workshop")  # neither the bad token nor the flag stays

    caller = await make_caller(db, "marketing")
    await page.goto(f"{live_server.url}/workshop?token={caller.token}")
    if await page.locator("#confirm-sign-in").count():  # the link asks before it signs in
        await page.locator("#confirm-sign-in").click()
    await expect(page.locator(".empty-state")).to_contain_text("No segments yet")
    await page.screenshot(path=str(artifacts / "workshop-empty.png"))

    await db.write(members.deactivate, Actor.system(), caller.member.id, datetime.now(UTC))
    await page.reload()
    await expect(page.locator(".signin .problem")).to_contain_text("expired or was revoked")
    await page.screenshot(path=str(artifacts / "workshop-expired.png"))
    await context.close()
