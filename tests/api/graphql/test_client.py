"""A real client against a real server: `commonground serve` in a subprocess, driven over
HTTP by the `gql` library (which validates every operation against the schema it fetches).

A workshop-sized scenario: a segment with accounts, goals, pains, features and a claim; a
dozen propositions; evidence from several accounts; beliefs stated by product and by
marketing with their own tokens; then the divergences and the alignment index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport

from graph.kit.connection import Database
from tests.api.apphelpers import served, wait_ready
from tests.factories import make_caller

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.slow


@pytest.fixture
def server(neo4j_target: TestDatabase, tmp_path: Path) -> Iterator[str]:
    with served(neo4j_target.target, tmp_path) as base:
        yield base


class Session:
    """One member's gql session, with the bookmark of its last write sent back."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.bookmark: str | None = None

    async def run(self, document: str, **variables: Any) -> dict[str, Any]:
        headers = {"X-Bookmark": self.bookmark} if self.bookmark else {}
        result = await self.session.execute(
            GraphQLRequest(document, variable_values=variables),
            get_execution_result=True,
            extra_args={"headers": headers},
        )
        assert not result.errors, result.errors
        if result.extensions and result.extensions.get("bookmark"):
            self.bookmark = result.extensions["bookmark"]
        data: dict[str, Any] = result.data
        return data


@pytest.fixture
async def sessions(server: str, db: Database) -> AsyncIterator[tuple[Session, Session]]:
    product = await make_caller(db, "product")
    marketing = await make_caller(db, "marketing")
    await wait_ready(server)
    clients = [
        Client(
            transport=HTTPXAsyncTransport(
                url=f"{server}/graphql", headers=caller.headers, timeout=60
            ),
            fetch_schema_from_transport=True,
        )
        for caller in (product, marketing)
    ]
    async with clients[0] as first, clients[1] as second:
        yield Session(first), Session(second)


CREATE = "mutation($i: CreateEntityInput!) { createEntity(input: $i) { id name kind } }"
PROPOSE = """
mutation($s: ID!, $r: Relation!, $o: ID!) {
  createProposition(input: {subjectId: $s, relation: $r, objectId: $o}) { id text }
}
"""
ADD_EVIDENCE = """
mutation($items: [EvidenceInput!]!) { addEvidence(input: $items) { created alreadyPresent } }
"""
STATE = """
mutation($p: ID!, $x: Float!, $m: Int) {
  stateBelief(input: {propositionId: $p, p: $x, magnitude: $m}) { function seq p }
}
"""
DIVERGENCES = """
query($f: String, $s: ID) {
  divergences(function: $f, segmentId: $s, first: 50) {
    totalCount
    nodes { text function p confidence gap direction significant
            evidence { evidenceCount } }
  }
}
"""
ALIGNMENT = """
query($s: ID) {
  alignment(segmentId: $s) {
    alpha alphaLow alphaHigh meanAbsDifference units functions
    pairwise { a b alpha meanAbsDifference units }
  }
}
"""


async def test_a_workshop_scenario_through_a_real_graphql_client(
    sessions: tuple[Session, Session],
) -> None:
    product, marketing = sessions

    async def entity(kind: str, name: str, **extra: Any) -> str:
        made = await product.run(CREATE, i={"kind": kind, "name": name, **extra})
        return str(made["createEntity"]["id"])

    segment = await entity("SEGMENT", "Mid-market operations teams")
    accounts = [
        await entity("ACCOUNT", name, segmentId=segment)
        for name in ("Northwind", "Kestrel", "Bluefin", "Harbor")
    ]
    goals = [await entity("GOAL", n) for n in ("Trusted weekly numbers", "Less manual prep")]
    pains = [
        await entity("PAIN", n)
        for n in ("Onboarding takes weeks", "Data is not real-time", "Numbers disagree", "Exports")
    ]
    features = [
        await entity("FEATURE", n, status=s)
        for n, s in (("Guided setup", "planned"), ("Live dashboards", "shipped"))
    ]
    claim = await entity("CLAIM", "Real-time insight for every team", status="live")

    triples = (
        [(segment, "EXPERIENCES", p) for p in pains]
        + [(segment, "PURSUES", g) for g in goals]
        + [(pains[0], "HINDERS", goals[1]), (pains[2], "HINDERS", goals[0])]
        + [(features[0], "RELIEVES", pains[0]), (features[1], "RELIEVES", pains[1])]
        + [(claim, "PROMISES", goals[0]), (claim, "TARGETS", segment)]
        + [(claim, "BACKED_BY", features[1])]
    )
    props = []
    for s, r, o in triples:
        made = await product.run(PROPOSE, s=s, r=r, o=o)
        props.append(made["createProposition"]["id"])
    again = await marketing.run(PROPOSE, s=segment, r="EXPERIENCES", o=pains[0])
    assert again["createProposition"]["id"] == props[0]  # same triple, same proposition
    onboarding, realtime = props[0], props[1]

    # Tickets and interviews: every account says onboarding hurts and real-time does not.
    items = []
    for n, account in enumerate(accounts):
        for k in range(2):
            items.append(
                {
                    "sourceType": "interview",
                    "summary": f"Interview {n}.{k}: setup took our admin two weeks",
                    "accountId": account,
                    "idempotencyKey": f"scenario-onboarding-{n}-{k}",
                    "bears": [
                        {"propositionId": onboarding, "stance": "SUPPORTS", "magnitude": 5},
                        {"propositionId": realtime, "stance": "CONTRADICTS"},
                    ],
                }
            )
    added = await product.run(ADD_EVIDENCE, items=items)
    assert added["addEvidence"]["created"] == len(items)
    resent = await product.run(ADD_EVIDENCE, items=items)
    assert resent["addEvidence"]["created"] == 0

    # Product trusts the evidence; marketing believes the opposite on the two it covers.
    product_p = [0.9, 0.2, 0.7, 0.4, 0.8, 0.6, 0.7, 0.5, 0.6, 0.5, 0.3, 0.8, 0.7]
    marketing_p = [0.3, 0.9, 0.6, 0.5, 0.9, 0.5, 0.6, 0.4, 0.7, 0.9, 0.9, 0.9, 0.8]
    for pid, p_product, p_marketing in zip(props, product_p, marketing_p, strict=True):
        stated = await product.run(STATE, p=pid, x=p_product, m=4)
        assert stated["stateBelief"]["function"] == "product"
        stated = await marketing.run(STATE, p=pid, x=p_marketing, m=3)
        assert stated["stateBelief"]["function"] == "marketing"

    # Marketing reads its own divergences (its bookmark covers its last write).
    gaps = (await marketing.run(DIVERGENCES, f="marketing", s=segment))["divergences"]
    by_text = {g["text"]: g for g in gaps["nodes"]}
    over = by_text["Mid-market operations teams EXPERIENCES Data is not real-time"]
    under = by_text["Mid-market operations teams EXPERIENCES Onboarding takes weeks"]
    assert over["direction"] == "OVER_CONFIDENT" and over["significant"]
    assert over["gap"] == pytest.approx(0.9 - over["confidence"])
    assert under["direction"] == "UNDER_CONFIDENT" and under["significant"]
    assert under["confidence"] > 0.9 and under["evidence"]["evidenceCount"] == 8
    assert {g["function"] for g in gaps["nodes"]} == {"marketing"}

    product_gaps = (await product.run(DIVERGENCES, f="product", s=segment))["divergences"]
    assert all(
        not g["significant"]
        for g in product_gaps["nodes"]
        if g["text"].endswith(("Onboarding takes weeks", "Data is not real-time"))
    )

    alignment = (await product.run(ALIGNMENT, s=segment))["alignment"]
    assert alignment["units"] == len(props)
    assert set(alignment["functions"]) >= {"product", "marketing"}
    assert alignment["alpha"] is not None and alignment["alpha"] < 0.5
    assert alignment["alphaLow"] <= alignment["alpha"] <= alignment["alphaHigh"]
    pair = next(p for p in alignment["pairwise"] if {p["a"], p["b"]} == {"product", "marketing"})
    assert pair["units"] == len(props)
    expected_mad = sum(abs(a - b) for a, b in zip(product_p, marketing_p, strict=True)) / len(props)
    assert pair["meanAbsDifference"] == pytest.approx(expected_mad)
