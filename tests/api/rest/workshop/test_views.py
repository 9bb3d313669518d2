"""The workshop's segment views and proposition detail, through the ASGI app on a real Neo4j."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import ANY

import httpx
import pytest

from graph import entities, propositions
from graph.kit.connection import Database
from schema.models import EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation, Role
from tests.api.rest.workshop.helpers import (
    API,
    INTEGRATIONS,
    LIVE_DATA,
    ONBOARDING,
    OPS,
    get_json,
)
from tests.factories import make_caller


async def test_a_segment_model_shows_support_beliefs_gaps_and_structural_gaps(
    client: httpx.AsyncClient, demo: Database
) -> None:
    caller = await make_caller(demo, "design")
    listed = await get_json(client, caller, f"{API}/segments")
    assert {s["id"] for s in listed["segments"]} == {
        OPS,
        "seg-agency-marketing",
        "seg-saas-revops",
    }
    model = await get_json(
        client,
        caller,
        f"{API}/segments/{OPS}",
        include=["heatmap", "divergences"],
        as_of="2026-11-22T00:00:00Z",
    )
    assert model["segment"]["name"] == "Mid-market operations teams"
    assert model["functions"][:3] == ["product", "marketing", "sales"]
    by_id = {p["id"]: p for p in model["propositions"]}
    live = by_id[LIVE_DATA]
    assert live["statement"].startswith("Mid-market operations teams pursue “Act on live")
    assert live["evidence"]["status"] == "REFUTED"
    assert live["beliefs"]["marketing"]["p"] == 0.9
    assert live["contested_among_functions"] is True and live["spread"] >= 0.7
    assert by_id[ONBOARDING]["evidence"]["status"] == "VALIDATED"
    kinds = {e["id"]: e["kind"] for e in model["entities"]}
    assert kinds[OPS] == "SEGMENT" and kinds["pain-slow-onboarding"] == "PAIN"
    assert {p["subject_id"] for p in model["propositions"]} | {
        p["object_id"] for p in model["propositions"]
    } <= set(kinds)
    # The map's notes on each entity are the stored ones, the segment's description too.
    stored = await demo.read(entities.get_many, list(kinds))
    for shown in model["entities"]:
        found = stored[shown["id"]]
        assert (shown["alt_kind"], shown["description"]) == (found.alt_kind, found.description)
    assert any(e["alt_kind"] for e in model["entities"])
    assert any(e["description"] for e in model["entities"])
    assert model["segment"]["description"] == stored[OPS].description

    rows = {r["proposition_id"]: r for r in model["heatmap"]["rows"]}
    marketing_live = rows[LIVE_DATA]["cells"]["marketing"]
    assert marketing_live["gap"] == pytest.approx(0.87, abs=0.01)
    assert marketing_live["significant"] is True

    divergences = model["divergences"]
    assert any(
        g["function"] == "marketing" and g["proposition_id"] == LIVE_DATA
        for g in divergences["belief_gaps"]
    )
    texts = " ".join(g["text"] for g in divergences["belief_gaps"])
    assert "Marketing is more sure than the evidence that Mid-market operations teams" in texts
    assert "pain-slow-onboarding" in {g["entity"]["id"] for g in divergences["structural_gaps"]}
    assert all(g["owners"] for g in divergences["structural_gaps"])
    assert divergences["disagreements"][0]["spread"] >= 0.4

    missing = await client.get(f"{API}/segments/seg-nope", headers=caller.headers)
    assert missing.status_code == 404


async def test_pages_opened_together_each_get_their_own_segment(
    client: httpx.AsyncClient, demo: Database
) -> None:
    # A workshop opens at once: several pages on each segment, and one stale link. Requests
    # queued together share one read of the whole model; each must still get its own
    # segment, exactly as it would alone, and the stale link alone fails.
    caller = await make_caller(demo, "design")
    segments = [OPS, "seg-agency-marketing", "seg-saas-revops"]
    pinned = {"as_of": "2026-11-22T00:00:00Z"}
    alone = {s: await get_json(client, caller, f"{API}/segments/{s}", **pinned) for s in segments}

    async def fetch(segment: str, **params: Any) -> httpx.Response:
        return await client.get(f"{API}/segments/{segment}", headers=caller.headers, params=params)

    together = await asyncio.gather(
        *(fetch(s, **pinned) for s in segments * 4), fetch("seg-nope", **pinned)
    )
    assert [r.status_code for r in together] == [200] * 12 + [404]
    for segment, response in zip(segments * 4, together, strict=False):
        assert response.json() == alone[segment]

    # Without as_of ("now"), too: each page its own segment, scope and entities.
    now = await asyncio.gather(*(fetch(s) for s in segments * 3))
    for segment, response in zip(segments * 3, now, strict=True):
        body = response.json()
        assert response.status_code == 200 and body["segment"]["id"] == segment
        assert {p["id"] for p in body["propositions"]} == {
            p["id"] for p in alone[segment]["propositions"]
        }
        assert {e["id"] for e in body["entities"]} == {e["id"] for e in alone[segment]["entities"]}


async def test_a_proposition_shows_its_evidence_and_each_functions_belief(
    client: httpx.AsyncClient, demo: Database
) -> None:
    caller = await make_caller(demo, "design", Role.VIEWER)
    detail = await get_json(client, caller, f"{API}/propositions/{LIVE_DATA}")
    assert "“Act on live" in detail["proposition"]["statement"]
    items = detail["items"]
    assert items and all(i["stance"] in ("SUPPORTS", "CONTRADICTS") for i in items)
    assert any("daily is plenty" in (i["summary"] or "").lower() for i in items)
    assert "ev-0099" not in {i["id"] for i in items}  # retracted
    assert any(i["account"] and i["account"]["name"] for i in items)
    functions = {b["function"]: b for b in detail["beliefs"]}
    assert functions["marketing"]["p"] == 0.9 and functions["marketing"]["stated_by"]
    assert detail["evidence"]["status"] == "REFUTED"
    missing = await client.get(f"{API}/propositions/prop-nope", headers=caller.headers)
    assert missing.status_code == 404


async def test_a_page_read_right_after_a_write_shows_it(
    client: httpx.AsyncClient, demo: Database
) -> None:
    """Pages come from the model the server keeps: the next page after a write counts the
    new item at once, and pages without a write between them agree."""
    caller = await make_caller(demo, "success")
    path = f"{API}/segments/{OPS}"

    def onboarding(model: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = next(p for p in model["propositions"] if p["id"] == ONBOARDING)
        return found

    first = await get_json(client, caller, path)
    again = await get_json(client, caller, path)
    assert onboarding(again)["evidence"]["count"] == onboarding(first)["evidence"]["count"]
    added = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }",
            "variables": {
                "i": [
                    {
                        "sourceType": "interview",
                        "summary": "Onboarding took them three weeks",
                        "bears": [{"propositionId": ONBOARDING, "stance": "SUPPORTS"}],
                    }
                ]
            },
        },
        headers=caller.headers,
    )
    assert added.status_code == 200 and "errors" not in added.json(), added.text
    after = await get_json(client, caller, path)
    counted = onboarding(after)["evidence"]
    assert counted["count"] == onboarding(first)["evidence"]["count"] + 1
    assert counted["supporting_weight"] > onboarding(first)["evidence"]["supporting_weight"]


async def test_a_kept_page_follows_every_write_that_changes_it(
    client: httpx.AsyncClient, demo: Database
) -> None:
    """A page of now keeps its segment's scope, entity notes and votes with the server's copy
    of the model: each write that changes one of them shows on the next page."""
    caller = await make_caller(demo, "product", Role.ADMIN)
    path = f"{API}/segments/{OPS}"

    async def send(query: str, **variables: Any) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
        )
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and "errors" not in body, response.text
        return body["data"]

    first = await get_json(client, caller, path)
    assert await get_json(client, caller, path) == {**first, "as_of": ANY}  # nothing written

    update = (
        "mutation($id: ID!, $d: String) { updateEntity(id: $id, input: {description: $d}) { id } }"
    )
    await send(update, id=OPS, d="Operations teams of 50-500 people, renamed today")
    page = await get_json(client, caller, path)
    assert page["segment"]["description"] == "Operations teams of 50-500 people, renamed today"

    goal = (
        await send(
            "mutation($n: String!) { createEntity(input: {kind: GOAL, name: $n}) { id } }",
            n="Close the books in a day",
        )
    )["createEntity"]["id"]
    pursued = (
        await send(
            "mutation($s: ID!, $o: ID!) { createProposition(input: "
            "{subjectId: $s, relation: PURSUES, objectId: $o}) { id } }",
            s=OPS,
            o=goal,
        )
    )["createProposition"]["id"]
    page = await get_json(client, caller, path)
    assert pursued in {p["id"] for p in page["propositions"]}
    assert pursued not in {p["id"] for p in first["propositions"]}
    assert next(e for e in page["entities"] if e["id"] == goal)["description"] is None

    await send(update, id=goal, d="Month-end close without spreadsheets")
    page = await get_json(client, caller, path)
    noted = next(e for e in page["entities"] if e["id"] == goal)
    assert noted["description"] == "Month-end close without spreadsheets"

    # A row is kept per proposition across writes; a belief on one proposition is seen at
    # once, and the rows the write left alone stay as they were.
    await send(
        "mutation($p: ID!) { stateBelief(input: {propositionId: $p, p: 0.15}) { id } }",
        p=ONBOARDING,
    )
    page = await get_json(client, caller, path)
    rows = {row["id"]: row for row in page["propositions"]}
    assert rows[ONBOARDING]["beliefs"]["product"]["p"] == 0.15
    before = {row["id"]: row for row in first["propositions"]}
    assert rows[INTEGRATIONS]["beliefs"] == before[INTEGRATIONS]["beliefs"]


async def test_a_proposition_from_a_clock_running_ahead_shows_on_the_next_page(
    client: httpx.AsyncClient, demo: Database
) -> None:
    """Another replica's clock may run ahead of this one's: what it wrote counts at once, in
    the segment's scope as in the model the page is drawn from."""
    caller = await make_caller(demo, "product")
    path = f"{API}/segments/{OPS}"
    await get_json(client, caller, path)  # the page's scope is kept with the copy
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    goal, _ = await demo.write(
        entities.create,
        caller.actor,
        EntityCreate(kind=EntityKind.GOAL, name="Close the books in a day"),
        ahead,
    )
    pursued, _ = await demo.write(
        propositions.create,
        caller.actor,
        PropositionCreate(subject_id=OPS, relation=Relation.PURSUES, object_id=goal.id),
        ahead,
    )
    page = await get_json(client, caller, path)
    assert pursued.id in {p["id"] for p in page["propositions"]}
