"""Blind votes through GraphQL, for tools, on a real Neo4j."""

from __future__ import annotations

import httpx

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import gql, make_caller
from tests.graph.test_votes import two_propositions

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
        # One ballot may speak for its function here (the default asks for two).
        f"mutation($ids: [ID!]!) {{ openVote(input: {{propositionIds: $ids, label: "
        f'"G", minBallots: 1}}) {{ {VOTE_FIELDS} minBallots }} }}',
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


async def test_a_vote_on_an_empty_segment_id_is_refused_not_opened_on_the_whole_model(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    opened = await gql(
        client,
        facilitator,
        "mutation($ids: [ID!]!, $s: ID) { openVote(input: {propositionIds: $ids, segmentId: $s})"
        " { id } }",
        ids=[pain],
        s="",
    )
    assert opened["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]
    listed = await gql(client, facilitator, "{ votes { id } }")
    assert listed["data"]["votes"] == []  # type: ignore[index]
