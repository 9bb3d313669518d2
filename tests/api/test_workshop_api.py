"""The workshop page's shell, sign-in and JSON API, through the ASGI app on a real Neo4j."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.rest.workshop import ASSETS
from api.rest.workshop_events import ChangeFeed, stream
from graph import members, propositions, seeding, votes
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import Relation, Role
from schema.votes import BallotCast, VoteOpen
from tests.factories import Caller, gql, make_caller
from tests.graph.test_votes import two_propositions

OPS = "seg-mid-market-ops"
API = "/api/v1/workshop"


def triple(subject: str, relation: Relation, obj: str) -> str:
    return propositions.proposition_id(subject, relation, obj)


LIVE_DATA = triple(OPS, Relation.PURSUES, "goal-act-on-live-data")
ONBOARDING = triple(OPS, Relation.EXPERIENCES, "pain-slow-onboarding")
INTEGRATIONS = triple(OPS, Relation.EXPERIENCES, "pain-missing-integrations")


@pytest.fixture
async def demo(db: Database) -> Database:
    await seeding.load_demo(db)
    return db


async def get_json(client: httpx.AsyncClient, caller: Caller, path: str, **params: Any) -> Any:
    response = await client.get(path, headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_page_shell_and_its_assets_are_public_and_self_contained(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/workshop")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "/workshop/assets/workshop.js" in page.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # no CDN
    script = await client.get("/workshop/assets/workshop.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert {"workshop.js", "workshop.css", "graph.js", "vote.js"} <= set(ASSETS)
    for name in ASSETS:
        asset = await client.get(f"/workshop/assets/{name}")
        assert asset.status_code == 200, name
        # Everything loads from this server: relative module imports, no remote URL or @import.
        imports = re.findall(r"""^import .* from "([^"]+)";""", asset.text, re.MULTILINE)
        assert all(target.startswith("./") for target in imports), (name, imports)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", asset.text), name
    cached = await client.get(
        "/workshop/assets/workshop.js", headers={"If-None-Match": script.headers["etag"]}
    )
    assert cached.status_code == 304
    assert (await client.get("/workshop/assets/__init__.py")).status_code == 404
    assert (await client.get("/workshop/assets/..%2Fapi%2Fapp.py")).status_code == 404


async def test_a_token_link_signs_in_with_an_httponly_cookie_and_leaves_the_url(
    client: httpx.AsyncClient, db: Database
) -> None:
    caller = await make_caller(db, "sales")
    response = await client.get("/workshop", params={"token": caller.token})
    assert response.status_code == 303 and response.headers["location"] == "/workshop"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cg_session=") and caller.token in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    client.cookies.set("cg_session", caller.token)
    me = await client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["member"]["name"] == caller.member.name
    assert me.json()["can_vote"] is True and me.json()["can_facilitate"] is False

    bad = await client.get("/workshop", params={"token": "cg_not-a-token"})
    assert bad.status_code == 303 and bad.headers["location"] == "/workshop?signin=invalid"
    assert "set-cookie" not in bad.headers


async def test_the_data_needs_a_token_and_says_how_to_get_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    anonymous = await client.get(f"{API}/segments")
    assert anonymous.status_code == 401
    assert "commonground token create" in anonymous.json()["detail"]
    caller = await make_caller(db, "product")
    await db.write(members.deactivate, Actor.system(), caller.member.id, datetime.now(UTC))
    revoked = await client.get(f"{API}/segments", headers=caller.headers)
    assert revoked.status_code == 401 and "no longer valid" in revoked.json()["detail"]
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
    assert (await client.get(f"{API}/events")).status_code == 401
    caller_ok = await make_caller(db, "sales")
    plain = await client.get(f"{API}/events", headers=caller_ok.headers)
    assert plain.status_code == 406 and "text/event-stream" in plain.json()["detail"]


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
        json={"proposition_ids": [ONBOARDING, INTEGRATIONS], "segment_id": OPS, "label": "T1"},
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
    for body in ({"proposition_ids": []}, {"proposition_ids": "x"}, {}):
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


async def test_the_change_feed_tells_open_pages_about_ballots_and_stops_when_they_leave(
    db: Database,
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    member = await make_caller(db, "product")
    vote = await db.write(
        votes.open_vote, facilitator.actor, VoteOpen(proposition_ids=[pain]), datetime.now(UTC)
    )

    async def read_stamps() -> dict[str, str | None]:
        return await db.read(votes.change_stamps)

    feed = ChangeFeed(read_stamps, interval_s=0.05)
    queue = feed.subscribe()
    events = stream(feed, queue, _never_disconnected, keepalive_s=30)
    assert (await anext(events)).startswith(b"retry:")
    first = await asyncio.wait_for(anext(events), 10)
    assert first.startswith(b"event: change")
    await db.write(
        votes.cast_ballots,
        member.actor,
        vote.id,
        [BallotCast(proposition_id=pain, p=0.5, magnitude=3)],
        datetime.now(UTC),
    )
    second = await asyncio.wait_for(anext(events), 10)
    assert second.startswith(b"event: change") and second != first
    assert feed.subscribers == 1
    await events.aclose()
    assert feed.subscribers == 0
    await feed.close()


async def _never_disconnected() -> bool:
    return False


VOTE_FIELDS = (
    "id status participants progress { function ballots } myBallots { p } "
    "results { function p count spread }"
)


async def test_blind_votes_through_graphql_for_tools(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    member = await make_caller(db, "success")
    opened = await gql(
        client,
        member,
        "mutation($ids: [ID!]!) { openVote(input: {propositionIds: $ids}) { id } }",
        ids=[pain],
    )
    assert opened["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    opened = await gql(
        client,
        facilitator,
        f'mutation($ids: [ID!]!) {{ openVote(input: {{propositionIds: $ids, label: "G"}}) '
        f"{{ {VOTE_FIELDS} }} }}",
        ids=[pain],
    )
    vote = opened["data"]["openVote"]  # type: ignore[index]
    assert vote["status"] == "OPEN"
    cast = (
        "mutation($v: ID!, $p: ID!, $x: Float!) "
        f"{{ castBallot(voteId: $v, propositionId: $p, p: $x, magnitude: 4) {{ {VOTE_FIELDS} }} }}"
    )
    bad = await gql(client, member, cast, v=vote["id"], p=pain, x=1.5)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    mine = await gql(client, member, cast, v=vote["id"], p=pain, x=0.7)
    assert mine["data"]["castBallot"]["myBallots"] == [{"p": 0.7}]  # type: ignore[index]
    seen = await gql(
        client, facilitator, f"query($v: ID!) {{ vote(id: $v) {{ {VOTE_FIELDS} }} }}", v=vote["id"]
    )
    assert seen["data"]["vote"]["myBallots"] == []  # type: ignore[index]
    assert seen["data"]["vote"]["progress"] == [{"function": "success", "ballots": 1}]  # type: ignore[index]
    revealed = await gql(
        client,
        facilitator,
        f"mutation($v: ID!) {{ revealVote(id: $v) {{ {VOTE_FIELDS} }} }}",
        v=vote["id"],
    )
    assert revealed["data"]["revealVote"]["results"] == [  # type: ignore[index]
        {"function": "success", "p": 0.7, "count": 1, "spread": 0.0}
    ]
    listed = await gql(client, member, "{ votes(status: REVEALED) { id status } }")
    assert listed["data"]["votes"] == [{"id": vote["id"], "status": "REVEALED"}]  # type: ignore[index]
