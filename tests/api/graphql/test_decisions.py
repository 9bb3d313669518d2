"""Decisions through GraphQL on a real Neo4j: recording one, listing those at risk with the
evidence that moved them, and bad input refused with nothing written."""

from __future__ import annotations

from typing import Any

import httpx

from graph.kit.connection import Database, fetch_one
from schema.decisions import MAX_DECISION_PROPOSITIONS
from schema.vocabulary import Role
from tests.factories import gql, make_caller, small_model

TOO_MANY = MAX_DECISION_PROPOSITIONS + 1

RECORD = """
mutation($title: String!, $ids: [ID!]!, $key: String) {
  recordDecision(input: {title: $title, rationale: "Interviews", propositionIds: $ids,
                         idempotencyKey: $key}) {
    id title rationale atRisk function
    basis { proposition { id } statusThen confidenceThen statusNow confidenceNow retired
            reasons movedBy { id } }
  }
}"""

LIST = """
query($atRisk: Boolean) {
  decisions(atRisk: $atRisk, first: 5) {
    totalCount
    nodes { id title atRisk basis { statusThen statusNow reasons movedByCount
                                    movedBy { id summary } proposition { id } } }
  }
}"""

ADD_EVIDENCE = """
mutation($items: [EvidenceInput!]!) { addEvidence(input: $items) { created } }
"""


def interviews(proposition_id: str, stance: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "sourceType": "interview",
            "summary": f"{stance.lower()} {n}",
            "bears": [{"propositionId": proposition_id, "stance": stance}],
        }
        for n in range(count)
    ]


async def decision_count(db: Database) -> int:
    row = await db.read(fetch_one, "MATCH (d:Decision) RETURN count(d) AS n")
    assert row is not None
    return int(row["n"])


async def test_a_decision_falls_at_risk_when_contradicting_evidence_arrives(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await small_model(db, account=None, pains=["Slow onboarding"])
    pid = model.experiences[0]
    member = await make_caller(db, "product")
    await gql(client, member, ADD_EVIDENCE, items=interviews(pid, "SUPPORTS", 5))
    body = await gql(client, member, RECORD, title="Build the wizard", ids=[pid], key="wiz")
    recorded = body["data"]["recordDecision"]  # type: ignore[index]
    assert recorded["atRisk"] is False and recorded["function"] == "product"
    assert recorded["basis"][0]["statusThen"] == recorded["basis"][0]["statusNow"] == "VALIDATED"
    again = await gql(client, member, RECORD, title="Build the wizard", ids=[pid], key="wiz")
    assert again["data"]["recordDecision"]["id"] == recorded["id"]  # type: ignore[index]

    at_risk = await gql(client, member, LIST, atRisk=True)
    assert at_risk["data"]["decisions"] == {"totalCount": 0, "nodes": []}  # type: ignore[index]

    added = await gql(client, member, ADD_EVIDENCE, items=interviews(pid, "CONTRADICTS", 6))
    assert "errors" not in added
    listed = await gql(client, member, LIST, atRisk=True)
    [decision] = listed["data"]["decisions"]["nodes"]  # type: ignore[index]
    assert decision["id"] == recorded["id"] and decision["atRisk"] is True
    [basis] = decision["basis"]
    assert (basis["statusThen"], basis["statusNow"]) == ("VALIDATED", "CONTESTED")
    assert basis["reasons"] and basis["movedByCount"] == 6
    assert sorted(e["summary"] for e in basis["movedBy"]) == [f"contradicts {n}" for n in range(6)]
    assert basis["proposition"]["id"] == pid
    standing = await gql(client, member, LIST, atRisk=False)
    assert standing["data"]["decisions"]["totalCount"] == 0  # type: ignore[index]


async def test_bad_decisions_are_refused_and_write_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await small_model(db, account=None, pains=1)
    pid = model.experiences[0]
    member = await make_caller(db, "product")
    viewer = await make_caller(db, "product", Role.VIEWER)
    cases = [
        (member, {"title": "Build it", "ids": [pid, "prop-unknown"]}, "NOT_FOUND"),
        (member, {"title": "   ", "ids": [pid]}, "BAD_USER_INPUT"),
        (member, {"title": "Build it", "ids": []}, "BAD_USER_INPUT"),
        (
            member,
            {
                "title": "Build it",
                "ids": [f"prop-{n}" for n in range(MAX_DECISION_PROPOSITIONS + 1)],
            },
            "BAD_USER_INPUT",
        ),
        (member, {"title": "x" * 501, "ids": [pid]}, "BAD_USER_INPUT"),
        (member, {"title": "Build it", "ids": [pid], "key": ""}, "BAD_USER_INPUT"),
        (viewer, {"title": "Build it", "ids": [pid]}, "FORBIDDEN"),
    ]
    for caller, variables, code in cases:
        body = await gql(client, caller, RECORD, **variables)
        errors = body.get("errors")
        assert errors, variables
        assert errors[0]["extensions"]["code"] == code, (variables, errors)  # type: ignore[index]
    assert await decision_count(db) == 0
    listed = await gql(client, viewer, LIST)
    assert listed["data"]["decisions"]["totalCount"] == 0  # type: ignore[index]
    unauthenticated = await client.post("/graphql", json={"query": LIST})
    assert unauthenticated.status_code == 401


async def test_a_default_page_of_decisions_with_their_evidence_is_within_the_cost_budget(
    client: httpx.AsyncClient, db: Database
) -> None:
    member = await make_caller(db, "product")
    body = await gql(
        client,
        member,
        "{ decisions { totalCount nodes { id basis { reasons proposition { id text } "
        "movedBy { id summary recordedAt } } } } }",
    )
    assert "errors" not in body, body
    assert body["data"]["decisions"] == {"totalCount": 0, "nodes": []}  # type: ignore[index]


async def test_decisions_page_newest_first_and_each_is_audited(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await small_model(db, account=None, pains=1)
    member = await make_caller(db, "product")
    titles = ["First", "Second", "Third"]
    for title in titles:
        body = await gql(client, member, RECORD, title=title, ids=[model.experiences[0]])
        assert "errors" not in body, body
    page = """query($after: String) { decisions(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { title } } }"""
    first = (await gql(client, member, page))["data"]["decisions"]  # type: ignore[index]
    assert [n["title"] for n in first["nodes"]] == ["Third", "Second"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    rest = (await gql(client, member, page, after=after))["data"]["decisions"]  # type: ignore[index]
    assert [n["title"] for n in rest["nodes"]] == ["First"]
    assert rest["pageInfo"]["hasNextPage"] is False
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    log = await gql(
        client, facilitator, '{ auditLog(action: "recordDecision") { nodes { detail function } } }'
    )
    entries = log["data"]["auditLog"]["nodes"]  # type: ignore[index]
    assert sorted(e["detail"] for e in entries) == sorted(titles)
    assert {e["function"] for e in entries} == {"product"}
