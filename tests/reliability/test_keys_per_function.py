"""Idempotency keys belong to a function (finding 6), against a real `commonground serve`.

Sales writes with key K first; product's `addEvidence`, `stateBelief` and import rows with
the same K used to be dropped silently and answered with sales' items. Now each function's K
is its own write, and a function retrying its own K still gets its own item back.
docs/reliability.md lists what this guards.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from graph.kit.connection import Database
from tests.factories import Caller, make_caller, small_model
from tests.graph.imports.tickets import TICKET_MAPPING, tickets_csv
from tests.reliability.conftest import Server, graphql_body

pytestmark = pytest.mark.slow

KEY = "jane@example.com/2026-03-01"
ADD = (
    "mutation($p: ID!, $s: String!, $k: String) { addEvidence(input: [{sourceType: "
    '"interview", summary: $s, idempotencyKey: $k, bears: [{propositionId: $p, '
    "stance: SUPPORTS}]}]) { items { id summary function } created alreadyPresent } }"
)
STATE = (
    "mutation($p: ID!, $v: Float!, $k: String) { stateBelief(input: {propositionId: $p, "
    "p: $v, idempotencyKey: $k}) { id p function } }"
)


async def _gql(http: httpx.AsyncClient, caller: Caller, query: str, **variables: Any) -> Any:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
    )
    return graphql_body(response)["data"]


async def _import(http: httpx.AsyncClient, caller: Caller, body: str) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/evidence:import",
        params={"format": "csv", "mapping": json.dumps(TICKET_MAPPING)},
        content=body.encode(),
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text[:300]
    report: dict[str, Any] = response.json()
    return report


async def test_two_functions_with_one_key_make_two_writes_and_retries_stay_their_own(
    db: Database, shared_server: Server
) -> None:
    model = await small_model(db, segment="Mid-market ops", account="Northwind", pains=2)
    assert model.account_id is not None
    proposition = model.experiences[0]
    sales, product = await make_caller(db, "sales"), await make_caller(db, "product")
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=120) as http:
        first = (await _gql(http, sales, ADD, p=proposition, s="sales heard it", k=KEY))[
            "addEvidence"
        ]
        ours = (await _gql(http, product, ADD, p=proposition, s="product heard it", k=KEY))[
            "addEvidence"
        ]
        assert ours["created"] == 1 and ours["alreadyPresent"] == 0
        assert ours["items"][0]["id"] != first["items"][0]["id"]
        assert ours["items"][0]["summary"] == "product heard it"
        assert ours["items"][0]["function"] == "product"
        again = (await _gql(http, product, ADD, p=proposition, s="a retry", k=KEY))["addEvidence"]
        assert again["alreadyPresent"] == 1 and again["items"][0]["id"] == ours["items"][0]["id"]

        sales_belief = (await _gql(http, sales, STATE, p=proposition, v=0.9, k=KEY))["stateBelief"]
        product_belief = (await _gql(http, product, STATE, p=proposition, v=0.2, k=KEY))[
            "stateBelief"
        ]
        assert product_belief["id"] != sales_belief["id"]
        assert (product_belief["function"], product_belief["p"]) == ("product", 0.2)

        rows = tickets_csv(model.experiences, model.account_id, 5)
        assert (await _import(http, sales, rows))["created"] == 5
        # The same export from another function is that function's evidence, not a resend.
        assert (await _import(http, product, rows))["created"] == 5
        assert (await _import(http, product, rows))["created"] == 0
