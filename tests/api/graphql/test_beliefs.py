"""Beliefs through GraphQL: append-only statements under concurrency, roles, withdrawal, as-of."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import gql, make_caller, small_model

STATE = """
mutation($input: StateBeliefInput!) {
  stateBelief(input: $input) { id function seq p magnitude statedAt statedBy { name } }
}
"""
WITHDRAW = """
mutation($p: ID!, $f: String) {
  withdrawBelief(propositionId: $p, function: $f) { id seq p withdrawn function }
}
"""
HISTORY = """
query($p: ID!, $f: String, $asOf: DateTime) {
  beliefs(propositionId: $p, function: $f, asOf: $asOf) { id function seq p withdrawn }
}
"""
CURRENT = """
query($p: ID!, $asOf: DateTime) {
  proposition(id: $p) { beliefs(asOf: $asOf) { id function seq p } }
}
"""


async def _proposition(db: Database) -> str:
    model = await small_model(
        db, segment="Agencies", account=None, pains=0, goals=["Client-ready reports"]
    )
    return model.pursues[0]


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"]


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_fifty_parallel_statements_get_sequence_numbers_one_to_fifty(
    client: httpx.AsyncClient, db: Database
) -> None:
    prop = await _proposition(db)
    pm = await make_caller(db, "product")
    bodies = await asyncio.gather(
        *(
            gql(client, pm, STATE, input={"propositionId": prop, "p": round(n / 50, 2)})
            for n in range(50)
        )
    )
    stated = [_data(b)["stateBelief"] for b in bodies]
    assert sorted(b["seq"] for b in stated) == list(range(1, 51))

    history = _data(await gql(client, pm, HISTORY, p=prop))["beliefs"]
    assert [b["seq"] for b in history] == list(range(1, 51))
    assert {b["function"] for b in history} == {"product"}
    [current] = _data(await gql(client, pm, CURRENT, p=prop))["proposition"]["beliefs"]
    assert current == {k: history[-1][k] for k in ("id", "function", "seq", "p")}


async def test_a_retried_statement_is_written_once_even_concurrently(
    client: httpx.AsyncClient, db: Database
) -> None:
    prop = await _proposition(db)
    sales = await make_caller(db, "sales")
    statement = {"propositionId": prop, "p": 0.8, "magnitude": 4, "idempotencyKey": "vote-7"}
    bodies = await asyncio.gather(*(gql(client, sales, STATE, input=statement) for _ in range(8)))
    ids = {_data(b)["stateBelief"]["id"] for b in bodies}
    assert len(ids) == 1
    history = _data(await gql(client, sales, HISTORY, p=prop))["beliefs"]
    assert [(b["id"], b["seq"], b["p"]) for b in history] == [(ids.pop(), 1, 0.8)]


async def test_contributors_state_beliefs_only_for_their_own_function(
    client: httpx.AsyncClient, db: Database
) -> None:
    prop = await _proposition(db)
    pm = await make_caller(db, "product")
    viewer = await make_caller(db, "product", Role.VIEWER)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)

    body = await gql(
        client, pm, STATE, input={"propositionId": prop, "p": 0.9, "function": "sales"}
    )
    assert _code(body) == "FORBIDDEN"
    body = await gql(client, viewer, STATE, input={"propositionId": prop, "p": 0.9})
    assert _code(body) == "FORBIDDEN"
    body = await gql(client, pm, STATE, input={"propositionId": prop, "p": 1.5})
    assert _code(body) == "BAD_USER_INPUT"
    body = await gql(client, pm, STATE, input={"propositionId": "prop-nowhere", "p": 0.5})
    assert _code(body) == "NOT_FOUND"
    assert _data(await gql(client, pm, HISTORY, p=prop))["beliefs"] == []

    own = _data(await gql(client, pm, STATE, input={"propositionId": prop, "p": 0.6}))
    assert own["stateBelief"]["function"] == "product"
    assert own["stateBelief"]["statedBy"] == {"name": pm.member.name}
    for_sales = _data(
        await gql(
            client,
            facilitator,
            STATE,
            input={"propositionId": prop, "p": 0.3, "function": "sales"},
        )
    )["stateBelief"]
    assert for_sales["function"] == "sales"
    assert for_sales["statedBy"] == {"name": facilitator.member.name}
    body = await gql(client, pm, WITHDRAW, p=prop, f="sales")
    assert _code(body) == "FORBIDDEN"
    current = _data(await gql(client, pm, CURRENT, p=prop))["proposition"]["beliefs"]
    assert [(b["function"], b["p"]) for b in current] == [("product", 0.6), ("sales", 0.3)]


async def test_a_withdrawal_leaves_no_current_belief_and_the_history_keeps_both(
    client: httpx.AsyncClient, db: Database
) -> None:
    prop = await _proposition(db)
    success = await make_caller(db, "success")
    stated = _data(await gql(client, success, STATE, input={"propositionId": prop, "p": 0.7}))

    withdrawn = _data(await gql(client, success, WITHDRAW, p=prop))["withdrawBelief"]
    assert withdrawn["withdrawn"] is True and withdrawn["p"] is None and withdrawn["seq"] == 2
    assert _data(await gql(client, success, CURRENT, p=prop))["proposition"]["beliefs"] == []
    history = _data(await gql(client, success, HISTORY, p=prop, f="success"))["beliefs"]
    assert [(b["id"], b["withdrawn"]) for b in history] == [
        (stated["stateBelief"]["id"], False),
        (withdrawn["id"], True),
    ]
    assert _code(await gql(client, success, WITHDRAW, p=prop)) == "BAD_USER_INPUT"


async def test_belief_history_as_of_a_past_time(client: httpx.AsyncClient, db: Database) -> None:
    prop = await _proposition(db)
    marketing = await make_caller(db, "marketing")
    first = _data(await gql(client, marketing, STATE, input={"propositionId": prop, "p": 0.3}))[
        "stateBelief"
    ]
    _data(await gql(client, marketing, STATE, input={"propositionId": prop, "p": 0.8}))
    then = first["statedAt"]

    past = _data(await gql(client, marketing, HISTORY, p=prop, asOf=then))["beliefs"]
    assert [(b["seq"], b["p"]) for b in past] == [(1, 0.3)]
    now = _data(await gql(client, marketing, HISTORY, p=prop))["beliefs"]
    assert [(b["seq"], b["p"]) for b in now] == [(1, 0.3), (2, 0.8)]

    listing = _data(
        await gql(
            client,
            marketing,
            """query($asOf: DateTime) {
              propositions(asOf: $asOf) {
                nodes { beliefs { p } beliefHistory(function: "marketing") { seq } }
              }
            }""",
            asOf=then,
        )
    )["propositions"]["nodes"]
    # The listing's as-of reaches its nested fields.
    assert listing == [{"beliefs": [{"p": 0.3}], "beliefHistory": [{"seq": 1}]}]
    current = _data(await gql(client, marketing, CURRENT, p=prop))["proposition"]["beliefs"]
    assert [b["p"] for b in current] == [0.8]
