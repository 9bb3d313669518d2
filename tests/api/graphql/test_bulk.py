"""propositionGraph: the propositions listing's page as one JSON value, from one query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from graph import seeding
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import Caller, gql, make_caller

TYPED = """
query($first: Int!, $after: String, $segment: ID, $asOf: DateTime, $evidence: Int!) {
  propositions(first: $first, after: $after, segmentId: $segment, asOf: $asOf) {
    totalCount
    pageInfo { hasNextPage }
    nodes {
      id relation createdAt
      subject { id kind name }
      object { id kind name }
      beliefs { function p magnitude statedAt }
      evidence(first: $evidence) {
        totalCount
        nodes { id sourceType summary observedAt bears { stance strength magnitude } }
      }
    }
  }
}
"""

BULK = """
query($first: Int, $after: String, $segment: ID, $asOf: DateTime, $evidence: Int!) {
  propositionGraph(first: $first, after: $after, segmentId: $segment, asOf: $asOf,
                   evidencePerProposition: $evidence)
}
"""


def _instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _comparable(page: dict[str, Any]) -> dict[str, Any]:
    """A page with times as instants and the bulk-only bearing ids dropped."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items() if k != "propositionId"}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if key.endswith("At") and isinstance(value, str):
            return _instant(value)
        return value

    result: dict[str, Any] = walk(
        {"totalCount": page["totalCount"], "nodes": page["nodes"], "next": page["pageInfo"]}
    )
    result["next"] = result["next"]["hasNextPage"]
    return result


async def _both(client: httpx.AsyncClient, caller: Caller, **variables: Any) -> tuple[Any, Any]:
    typed = await gql(client, caller, TYPED, **variables)
    bulk = await gql(client, caller, BULK, **variables)
    assert "errors" not in typed, typed["errors"]
    assert "errors" not in bulk, bulk["errors"]
    return typed["data"]["propositions"], bulk["data"]["propositionGraph"]  # type: ignore[index]


async def test_the_bulk_page_is_the_typed_listing_page(
    db: Database, client: httpx.AsyncClient
) -> None:
    await seeding.load_demo(db)
    caller = await make_caller(db, "product", Role.VIEWER)
    typed, bulk = await _both(client, caller, first=100, evidence=3)

    assert bulk["nodes"], "the demo company has propositions"
    assert _comparable(bulk) == _comparable(
        {**typed, "pageInfo": {"hasNextPage": typed["pageInfo"]["hasNextPage"]}}
    )
    with_beliefs = [n for n in bulk["nodes"] if n["beliefs"]]
    assert with_beliefs, "the demo's beliefs come through"
    assert all(
        [b["function"] for b in n["beliefs"]] == sorted(b["function"] for b in n["beliefs"])
        for n in with_beliefs
    )
    for node in bulk["nodes"]:
        for item in node["evidence"]["nodes"]:
            assert node["id"] in {b["propositionId"] for b in item["bears"]}


async def test_a_segment_and_an_earlier_time_give_what_the_listing_gives(
    db: Database, client: httpx.AsyncClient
) -> None:
    await seeding.load_demo(db)
    caller = await make_caller(db)
    segments = await gql(client, caller, "{ entities(kind: SEGMENT) { nodes { id } } }")
    segment = segments["data"]["entities"]["nodes"][0]["id"]  # type: ignore[index]
    earlier = datetime(2026, 3, 1, tzinfo=UTC).isoformat()
    # At most 60 evidence items a proposition keeps the typed query, with each item's
    # bearings, inside the query cost budget (typed and bulk still compare alike).
    typed, bulk = await _both(client, caller, first=100, segment=segment, asOf=earlier, evidence=60)
    assert bulk["pageInfo"]["asOf"].startswith("2026-03-01")
    assert _comparable(bulk) == _comparable(
        {**typed, "pageInfo": {"hasNextPage": typed["pageInfo"]["hasNextPage"]}}
    )


async def test_paging_with_the_end_cursor_visits_every_proposition_once(
    db: Database, client: httpx.AsyncClient
) -> None:
    await seeding.load_demo(db)
    caller = await make_caller(db)
    seen: list[str] = []
    after = None
    while True:
        body = await gql(client, caller, BULK, first=7, after=after, evidence=0)
        page = body["data"]["propositionGraph"]  # type: ignore[index]
        seen += [n["id"] for n in page["nodes"]]
        assert all(n["evidence"]["nodes"] == [] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]
    listing = await gql(client, caller, "{ propositions(first: 100) { nodes { id } } }")
    in_order = [n["id"] for n in listing["data"]["propositions"]["nodes"]]  # type: ignore[index]
    assert seen[: len(in_order)] == in_order


async def test_bad_requests_are_refused_and_reading_needs_a_token(
    db: Database, client: httpx.AsyncClient
) -> None:
    caller = await make_caller(db)
    too_many = await gql(client, caller, BULK, first=1001, evidence=1)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    too_deep = await gql(client, caller, BULK, first=10, evidence=101)
    assert too_deep["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    unknown = await gql(client, caller, BULK, segment="seg-nowhere", evidence=1)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]
    empty = await gql(client, caller, BULK, evidence=1)
    assert empty["data"]["propositionGraph"] == {  # type: ignore[index]
        "totalCount": 0,
        "pageInfo": {
            "hasNextPage": False,
            "endCursor": None,
            "asOf": empty["data"]["propositionGraph"]["pageInfo"]["asOf"],  # type: ignore[index]
        },
        "nodes": [],
    }
    anonymous = await client.post("/graphql", json={"query": BULK, "variables": {"evidence": 1}})
    assert anonymous.status_code == 401
