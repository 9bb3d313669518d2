"""GraphQL function arguments in any case: a belief stated for "Sales" is the sales
function's, a listing filtered by "SALES" shows sales's rows, and an unknown name is refused
with the names that exist."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from graph import evidence
from graph.kit.connection import Database
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.vocabulary import DEFAULT_FUNCTIONS, Role, Stance
from tests.factories import gql, make_caller, small_model

STATE = """
mutation($input: StateBeliefInput!) { stateBelief(input: $input) { function p } }"""
GAPS = """
query($function: String) { divergences(function: $function) { nodes { function } } }"""


async def test_a_function_is_named_in_any_case(client: httpx.AsyncClient, db: Database) -> None:
    model = await small_model(db, pains=1)
    (proposition,) = model.experiences
    items = [
        EvidenceCreate(
            source_type="interview",
            summary=f"They said so ({n})",
            bears=[BearingCreate(proposition_id=proposition, stance=Stance.SUPPORTS)],
        )
        for n in range(3)
    ]
    await db.write(evidence.add, Actor.system(), items, datetime.now(UTC))
    facilitator = await make_caller(db, "product", Role.FACILITATOR)

    stated = await gql(
        client,
        facilitator,
        STATE,
        input={"propositionId": proposition, "p": 0.1, "function": "Sales"},
    )
    assert "errors" not in stated, stated
    assert stated["data"] == {"stateBelief": {"function": "sales", "p": 0.1}}

    gaps = await gql(client, facilitator, GAPS, function="SALES")
    assert "errors" not in gaps, gaps
    assert gaps["data"]["divergences"]["nodes"] == [{"function": "sales"}]  # type: ignore[index]


async def test_an_unknown_function_lists_the_valid_names(
    client: httpx.AsyncClient, db: Database
) -> None:
    reader = await make_caller(db, "product")
    refused = await gql(client, reader, GAPS, function="Salez")
    (error,) = refused["errors"]  # type: ignore[misc]
    assert "function 'Salez' does not exist" in error["message"]
    for name in DEFAULT_FUNCTIONS:
        assert name in error["message"]
