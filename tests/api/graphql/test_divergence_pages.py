"""The divergence listings a page at a time: each `…Page` field pages through exactly what
its list field answers, and its cursor pins the first page's asOf."""

from __future__ import annotations

from typing import Any

import httpx

from graph import seeding
from graph.kit.connection import Database
from tests.factories import Caller, gql, make_caller

AS_OF = "2026-11-22T00:00:00+00:00"
PAGE = 2
ROWS = {
    "disagreements": "proposition { id }",
    "blindSpots": "proposition { id } function",
    "assumptionDebt": "proposition { id } function",
    "structuralGaps": "kind entity { id } related { id } segments { id }",
    "duplicates": "a { entity { id } } b { entity { id } } similarity",
}
ARGUMENTS = {
    "disagreements": "",
    "blindSpots": 'function: "marketing"',
    "assumptionDebt": "",
    "structuralGaps": "",
    "duplicates": "minSimilarity: 0.1",
}


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data: dict[str, Any] = body["data"]
    return data


def _whole(listing: str) -> str:
    first = "" if listing == "structuralGaps" else "first: 100"
    arguments = ", ".join(filter(None, (ARGUMENTS[listing], first, "asOf: $asOf")))
    return f"query($asOf: DateTime) {{ {listing}({arguments}) {{ {ROWS[listing]} }} }}"


def _page(listing: str) -> str:
    arguments = ", ".join(
        filter(None, (ARGUMENTS[listing], f"first: {PAGE}", "after: $after", "asOf: $asOf"))
    )
    return (
        f"query($asOf: DateTime, $after: String) {{ page: {listing}Page({arguments}) {{"
        f" totalCount pageInfo {{ hasNextPage endCursor asOf }}"
        f" edges {{ cursor }} nodes {{ {ROWS[listing]} }} }} }}"
    )


async def _first_page(
    client: httpx.AsyncClient, caller: Caller, listing: str, as_of: str | None
) -> dict[str, Any]:
    page: dict[str, Any] = _data(await gql(client, caller, _page(listing), asOf=as_of))["page"]
    return page


async def _rest(
    client: httpx.AsyncClient, caller: Caller, listing: str, first: dict[str, Any]
) -> list[Any]:
    """The rows of every page after ``first``, each of them as of its time."""
    rows, page = [], first
    while page["pageInfo"]["hasNextPage"]:
        after = page["pageInfo"]["endCursor"]
        page = _data(await gql(client, caller, _page(listing), after=after))["page"]
        assert page["pageInfo"]["asOf"] == first["pageInfo"]["asOf"]
        assert page["totalCount"] == first["totalCount"]
        rows += page["nodes"]
    return rows


async def test_every_listing_pages_through_its_list(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seeding.load_demo(db)
    sales = await make_caller(db, "sales")
    for listing in ROWS:
        whole = _data(await gql(client, sales, _whole(listing), asOf=AS_OF))[listing]
        first = await _first_page(client, sales, listing, AS_OF)
        paged = first["nodes"] + await _rest(client, sales, listing, first)
        assert len(whole) > PAGE, listing
        assert paged == whole, listing
        assert first["totalCount"] == len(whole), listing
        assert first["pageInfo"]["asOf"] == AS_OF, listing


NEW_PAIN = """
mutation { createEntity(input: {kind: PAIN, name: "Exports time out"}) { id } }
"""
CREATE = """
mutation($segment: ID!, $pain: ID!) {
  createProposition(input: {subjectId: $segment, relation: EXPERIENCES, objectId: $pain}) { id }
}
"""
STATE = "mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id } }"
OPS = "seg-mid-market-ops"


async def test_a_cursor_pins_the_first_pages_time(client: httpx.AsyncClient, db: Database) -> None:
    await seeding.load_demo(db)
    sales = await make_caller(db, "sales")
    first = await _first_page(client, sales, "disagreements", None)
    pinned = first["pageInfo"]["asOf"]

    # After the first page, the widest disagreement of all appears on a new proposition.
    pain = _data(await gql(client, sales, NEW_PAIN))["createEntity"]["id"]
    created = _data(await gql(client, sales, CREATE, segment=OPS, pain=pain))
    prop = created["createProposition"]["id"]
    for function, p in (("design", 0.01), ("leadership", 0.99)):
        caller = await make_caller(db, function)
        _data(await gql(client, caller, STATE, i={"propositionId": prop, "p": p}))
    now = _data(await gql(client, sales, _whole("disagreements"), asOf=None))["disagreements"]
    assert now[0]["proposition"]["id"] == prop

    # The later pages are cut from the listing as of the first page's time.
    paged = first["nodes"] + await _rest(client, sales, "disagreements", first)
    then = _data(await gql(client, sales, _whole("disagreements"), asOf=pinned))["disagreements"]
    assert paged == then and prop not in {row["proposition"]["id"] for row in paged}


async def test_a_cursor_of_another_listing_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seeding.load_demo(db)
    sales = await make_caller(db, "sales")
    gaps = _data(await gql(client, sales, "{ divergences(first: 1) { pageInfo { endCursor } } }"))
    debt = _data(await gql(client, sales, _page("assumptionDebt"), asOf=AS_OF))["page"]
    for listing, cursor in (
        ("disagreements", gaps["divergences"]["pageInfo"]["endCursor"]),
        ("blindSpots", debt["pageInfo"]["endCursor"]),
        ("duplicates", "not-a-cursor"),
    ):
        body = await gql(client, sales, _page(listing), after=cursor)
        [error] = body["errors"]  # type: ignore[misc]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (listing, error)
