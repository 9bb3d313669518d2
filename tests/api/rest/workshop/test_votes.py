"""The workshop's blind-vote endpoints, through the ASGI app on a real Neo4j."""

from __future__ import annotations

import httpx

from graph import votes
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.api.rest.workshop.helpers import API, INTEGRATIONS, ONBOARDING, OPS, get_json
from tests.factories import make_caller


async def test_a_blind_vote_through_the_api_keeps_ballots_secret_and_moves_the_heatmap(
    client: httpx.AsyncClient, demo: Database
) -> None:
    facilitator = await make_caller(demo, "leadership", Role.FACILITATOR)
    product = await make_caller(demo, "product")
    engineering = await make_caller(demo, "engineering")
    before = await get_json(client, facilitator, f"{API}/segments/{OPS}/heatmap")
    cell_before = {r["proposition_id"]: r for r in before["rows"]}[ONBOARDING]["cells"]

    refused = await client.post(
        f"{API}/votes",
        json={"proposition_ids": [ONBOARDING], "segment_id": OPS},
        headers=product.headers,
    )
    assert refused.status_code == 403
    opened = await client.post(
        f"{API}/votes",
        json={
            "proposition_ids": [ONBOARDING, INTEGRATIONS],
            "segment_id": OPS,
            "label": "T1",
            "min_ballots": 1,
        },
        headers=facilitator.headers,
    )
    assert opened.status_code == 201, opened.text
    vote_id = opened.json()["vote"]["id"]
    assert opened.json()["propositions"][ONBOARDING]["magnitude_meaning"] == "severity"

    for caller, p in ((product, 0.9), (engineering, 0.7)):
        cast = await client.put(
            f"{API}/votes/{vote_id}/ballots",
            json={"ballots": [{"proposition_id": ONBOARDING, "p": p, "magnitude": 4}]},
            headers=caller.headers,
        )
        assert cast.status_code == 200, cast.text
        assert [b["p"] for b in cast.json()["my_ballots"]] == [p]

    seen = await get_json(client, facilitator, f"{API}/votes/{vote_id}")
    assert seen["my_ballots"] == [] and seen["results"] == []
    assert {(c["function"], c["ballots"]) for c in seen["progress"]} == {
        ("product", 1),
        ("engineering", 1),
    }
    assert "0.9" not in str(seen["progress"]) and seen["participants"] == 2
    by_engineering = await get_json(client, engineering, f"{API}/votes/{vote_id}")
    assert [b["p"] for b in by_engineering["my_ballots"]] == [0.7]

    bad = await client.put(
        f"{API}/votes/{vote_id}/ballots",
        json={"ballots": [{"proposition_id": ONBOARDING, "p": 1.5}]},
        headers=product.headers,
    )
    assert bad.status_code == 422
    assert (
        await client.post(f"{API}/votes/{vote_id}/reveal", headers=product.headers)
    ).status_code == 403

    revealed = await client.post(f"{API}/votes/{vote_id}/reveal", headers=facilitator.headers)
    assert revealed.status_code == 200
    results = {r["function"]: r for r in revealed.json()["results"]}
    assert results["engineering"]["p"] == 0.7 and results["engineering"]["count"] == 1
    late = await client.put(
        f"{API}/votes/{vote_id}/ballots",
        json={"ballots": [{"proposition_id": ONBOARDING, "p": 0.1}]},
        headers=product.headers,
    )
    assert late.status_code == 409

    after = await get_json(client, facilitator, f"{API}/segments/{OPS}/heatmap")
    cell_after = {r["proposition_id"]: r for r in after["rows"]}[ONBOARDING]["cells"]
    assert cell_before["engineering"]["p"] == 0.3  # the seeded belief
    assert cell_after["engineering"]["p"] == 0.7 and cell_after["engineering"]["from_vote"]
    detail = await get_json(client, facilitator, f"{API}/propositions/{ONBOARDING}")
    assert detail["votes"][0]["label"] == "T1"
    assert {r["function"] for r in detail["votes"][0]["results"]} == {"product", "engineering"}
    listed = await get_json(client, product, f"{API}/votes", segment_id=OPS)
    assert listed["votes"][0]["status"] == "revealed"


async def test_bad_vote_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    too_few = {"proposition_ids": [ONBOARDING], "min_ballots": 0}  # at least one ballot
    for body in ({"proposition_ids": []}, {"proposition_ids": "x"}, {}, too_few):
        response = await client.post(f"{API}/votes", json=body, headers=facilitator.headers)
        assert response.status_code == 422, body
    missing = await client.post(
        f"{API}/votes", json={"proposition_ids": ["prop-nope"]}, headers=facilitator.headers
    )
    assert missing.status_code == 404
    assert (
        await client.get(f"{API}/votes/vote-nope", headers=facilitator.headers)
    ).status_code == 404
    assert await db.read(votes.list_votes) == []
