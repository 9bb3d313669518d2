"""A zone-less DateTime is read as UTC everywhere, as the CLI and the importer read it."""

from __future__ import annotations

from typing import Any

import httpx

from graph import seeding
from graph.kit.connection import Database
from tests.factories import gql, make_caller, small_model

IN_UTC = "2026-11-22T00:00:00Z"
ZONELESS = ("2026-11-22", "2026-11-22T00:00:00")

AS_OF_EVERYWHERE = """
query($asOf: DateTime) {
  alignment(asOf: $asOf) { alpha units functions asOf }
  divergences(asOf: $asOf, first: 100) { totalCount pageInfo { asOf } nodes { text function gap } }
  disagreements(asOf: $asOf, first: 100) { text spread }
  entities(asOf: $asOf, first: 100) { totalCount nodes { id } }
  propositions(asOf: $asOf, first: 100) { totalCount nodes { id status } }
}
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data: dict[str, Any] = body["data"]
    return data


async def test_a_time_without_a_zone_reads_as_utc(client: httpx.AsyncClient, db: Database) -> None:
    await seeding.load_demo(db)
    sales = await make_caller(db, "sales")
    utc = _data(await gql(client, sales, AS_OF_EVERYWHERE, asOf=IN_UTC))
    assert utc["alignment"]["units"] > 0 and utc["alignment"]["functions"]
    assert utc["divergences"]["totalCount"] > 0 and utc["disagreements"]
    assert utc["entities"]["totalCount"] > 0 and utc["propositions"]["totalCount"] > 0
    for zoneless in ZONELESS:
        # As a variable and written into the query: the same answers as in UTC.
        assert _data(await gql(client, sales, AS_OF_EVERYWHERE, asOf=zoneless)) == utc, zoneless
        inline = AS_OF_EVERYWHERE.replace("query($asOf: DateTime)", "query").replace(
            "$asOf", f'"{zoneless}"'
        )
        assert _data(await gql(client, sales, inline)) == utc, zoneless


async def test_an_unreadable_time_is_bad_input(client: httpx.AsyncClient, db: Database) -> None:
    viewer = await make_caller(db, "sales")
    for value in ("22/11/2026", "2026-13-01", "yesterday", "", 20261122):
        as_variable = await gql(client, viewer, AS_OF_EVERYWHERE, asOf=value)
        [error] = as_variable["errors"]  # type: ignore[misc]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (value, error)
        assert "ISO 8601" in error["message"]
    inline = await gql(client, viewer, '{ alignment(asOf: "22/11/2026") { units } }')
    [error] = inline["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


ADD = """
mutation($items: [EvidenceInput!]!) { addEvidence(input: $items) { items { observedAt } } }
"""


async def test_an_input_time_without_a_zone_reads_as_utc(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await small_model(db)
    pm = await make_caller(db, "product")
    item = {
        "sourceType": "interview",
        "summary": "Reports take a day",
        "observedAt": "2026-05-03T10:00:00",
        "bears": [{"propositionId": model.experiences[0], "stance": "SUPPORTS"}],
    }
    added = _data(await gql(client, pm, ADD, items=[item]))["addEvidence"]["items"]
    assert added == [{"observedAt": "2026-05-03T10:00:00+00:00"}]
