"""The divergence queries and mergeEntities through GraphQL, as an internal tool uses them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType

from api.graphql.schema import build_schema
from graph import seeding
from graph.kit.connection import Database, fetch_one
from schema.settings import Settings
from schema.vocabulary import Role
from tests.factories import gql, make_caller

AS_OF = "2026-11-22T00:00:00+00:00"
OPS = "seg-mid-market-ops"
KEEP, GONE = "feat-scheduled-pdf-reports", "feat-automated-report-emailing"

GAPS = """
query($asOf: DateTime, $after: String, $first: Int) {
  divergences(asOf: $asOf, after: $after, first: $first, significantOnly: true) {
    totalCount
    pageInfo { hasNextPage endCursor asOf }
    thresholds { significantGap minEvidenceMass }
    nodes {
      function p confidence gap direction significant consensusMagnitude rankScore text
      proposition { id subject { name } }
      belief { function p magnitude statedAt statedBy beliefId seq }
      evidence {
        evidenceIds evidenceCount supportingCount contradictingCount distinctAccounts
        newestEvidenceAt supportingWeight contradictingWeight support confidence
        intervalLow intervalHigh status
      }
      beliefs { function p }
    }
  }
}
"""

EVERYTHING = """
query($asOf: DateTime, $ops: ID!) {
  disagreements(asOf: $asOf, contestedOnly: true, first: 100) {
    spread contested text highest { function p } lowest { function p }
    thresholds { contestedSpread }
  }
  blindSpots(function: "marketing", asOf: $asOf) { text status function evidence { confidence } }
  assumptionDebt(function: "product", asOf: $asOf) { text p weight evidence { evidenceMass } }
  priorityAlignment(segmentId: $ops, relation: EXPERIENCES, asOf: $asOf) {
    segment { name } relation
    withEvidence { a b tau items }
    betweenFunctions { a b tau items }
    items { text evidenceScore functionScores { function score } }
  }
  overall: alignment(asOf: $asOf) {
    alpha alphaLow alphaHigh meanAbsDifference units functions
    pairwise { a b alpha meanAbsDifference units }
    thresholds { minAlignmentUnits bootstrapLevel }
  }
  ops: alignment(segmentId: $ops, asOf: $asOf) { alpha units segment { id } }
  structuralGaps(function: "sales", asOf: $asOf) {
    kind owners explanation entity { id } segments { id }
    propositions { text evidence { status } }
  }
  duplicates(asOf: $asOf) {
    kind similarity acrossFunctions minSimilarity
    a { entity { id } createdByFunction createdByName }
    b { entity { id } createdByFunction }
  }
}
"""

MERGE = """
mutation($keep: ID!, $gone: ID!) { mergeEntities(keepId: $keep, mergeId: $gone) { id name } }
"""


MERGED_ANYTHING = """
OPTIONAL MATCH ()-[m:MERGED_INTO]->() WITH count(m) AS links
OPTIONAL MATCH (e:Entity) WHERE e.merged_into IS NOT NULL
RETURN links, count(e) AS marked
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    assert isinstance(data, dict)
    return data


async def test_the_demo_through_graphql(client: httpx.AsyncClient, db: Database) -> None:
    await seeding.load_demo(db)
    sales = await make_caller(db, "sales")

    # Belief gaps, paged; the cursor keeps the as-of time of the first page.
    first = _data(await gql(client, sales, GAPS, asOf=AS_OF, first=40))["divergences"]
    assert first["totalCount"] == 89 and first["pageInfo"]["hasNextPage"]
    assert first["thresholds"] == {"significantGap": 0.25, "minEvidenceMass": 1.0}
    top = first["nodes"][0]
    assert (top["function"], top["text"]) == (
        "sales",
        "Mid-market operations teams USES Glasswing BI",
    )
    assert top["direction"] == "OVER_CONFIDENT" and top["significant"]
    assert top["proposition"]["subject"]["name"] == "Mid-market operations teams"
    assert top["evidence"]["status"] == "REFUTED" and top["evidence"]["evidenceIds"]
    assert (
        top["evidence"]["intervalLow"]
        < top["evidence"]["support"]
        < top["evidence"]["intervalHigh"]
    )
    assert top["belief"]["function"] == "sales" and top["belief"]["statedBy"]
    assert {"sales", "marketing"} <= {b["function"] for b in top["beliefs"]}
    rows = list(first["nodes"])
    page = first
    while page["pageInfo"]["hasNextPage"]:
        page = _data(await gql(client, sales, GAPS, after=page["pageInfo"]["endCursor"], first=40))[
            "divergences"
        ]
        assert page["pageInfo"]["asOf"] == first["pageInfo"]["asOf"]
        rows += page["nodes"]
    assert len(rows) == 89
    assert len({(r["proposition"]["id"], r["function"]) for r in rows}) == 89
    scores = [r["rankScore"] for r in rows]
    assert scores == sorted(scores, reverse=True)

    data = _data(await gql(client, sales, EVERYTHING, asOf=AS_OF, ops=OPS))
    assert len(data["disagreements"]) == 28
    assert all(d["spread"] >= 0.4 - 1e-9 and d["contested"] for d in data["disagreements"])
    onboarding = "Mid-market operations teams EXPERIENCES Weeks to get set up"
    assert any(b["text"].startswith(onboarding) for b in data["blindSpots"])
    assert data["assumptionDebt"] and all(
        d["evidence"]["evidenceMass"] < 1 for d in data["assumptionDebt"]
    )
    taus = {r["a"]: r["tau"] for r in data["priorityAlignment"]["withEvidence"]}
    assert taus["product"] == pytest.approx(0.14, abs=0.01)
    assert all(r["b"] == "evidence" for r in data["priorityAlignment"]["withEvidence"])
    overall = data["overall"]
    assert overall["alpha"] is not None and overall["alphaLow"] <= overall["alphaHigh"]
    assert len(overall["functions"]) == 7 and len(overall["pairwise"]) == 21
    assert overall["thresholds"] == {"minAlignmentUnits": 5, "bootstrapLevel": 0.95}
    assert data["ops"]["segment"] == {"id": OPS} and data["ops"]["units"] < overall["units"]
    assert {g["kind"] for g in data["structuralGaps"]} == {
        "UNSUPPORTED_PROMISE",
        "UNBEATEN_ALTERNATIVE",
    }
    assert all("sales" in g["owners"] and g["explanation"] for g in data["structuralGaps"])
    [pair] = data["duplicates"]
    assert {pair["a"]["entity"]["id"], pair["b"]["entity"]["id"]} == {KEEP, GONE}
    assert pair["acrossFunctions"] and pair["minSimilarity"] == 0.4

    # Only facilitators and admins merge; a refused merge changes nothing.
    refused = await gql(client, sales, MERGE, keep=KEEP, gone=GONE)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    untouched = await db.read(fetch_one, MERGED_ANYTHING)
    assert untouched == {"links": 0, "marked": 0}
    facilitator = await make_caller(db, "leadership", Role.FACILITATOR)
    merged = _data(await gql(client, facilitator, MERGE, keep=KEEP, gone=GONE))
    assert merged["mergeEntities"]["id"] == KEEP
    after = _data(
        await gql(
            client,
            sales,
            f'{{ entity(id: "{GONE}") {{ id }} duplicates {{ similarity }} }}',
        )
    )
    assert after == {"entity": {"id": KEEP}, "duplicates": []}


async def test_bad_arguments_get_typed_errors(client: httpx.AsyncClient, db: Database) -> None:
    viewer = await make_caller(db, "marketing", Role.VIEWER)
    cases = {
        '{ divergences(function: "finance") { totalCount } }': "NOT_FOUND",
        '{ alignment(segmentId: "seg-nowhere") { units } }': "NOT_FOUND",
        "{ disagreements(first: 101) { spread } }": "BAD_USER_INPUT",
        '{ divergences(after: "not-a-cursor") { totalCount } }': "BAD_USER_INPUT",
        "{ duplicates(minSimilarity: 1.5) { similarity } }": "BAD_USER_INPUT",
        'mutation { mergeEntities(keepId: "a", mergeId: "b") { id } }': "FORBIDDEN",
    }
    for query, code in cases.items():
        body = await gql(client, viewer, query)
        assert body["errors"][0]["extensions"]["code"] == code, query  # type: ignore[index]
    empty = _data(await gql(client, viewer, "{ alignment { alpha units functions } }"))
    assert empty == {"alignment": {"alpha": None, "units": 0, "functions": []}}
    response = await client.post("/graphql", json={"query": "{ alignment { alpha } }"})
    assert response.status_code == 401


DIVERGENCE_FIELDS = (
    "divergences",
    "disagreements",
    "blindSpots",
    "assumptionDebt",
    "priorityAlignment",
    "alignment",
    "structuralGaps",
    "duplicates",
)


def _types_reachable(root: Any, seen: set[str]) -> None:
    named = root
    while hasattr(named, "of_type"):
        named = named.of_type
    if not isinstance(named, GraphQLObjectType) or named.name in seen:
        return
    if named.name in {"Proposition", "Entity", "PageInfo"}:
        return  # shared types, documented where they are defined
    seen.add(named.name)
    for field in named.fields.values():
        _types_reachable(field.type, seen)


def test_every_divergence_field_argument_and_type_is_documented() -> None:
    schema = build_schema(Settings(_env_file=None))._schema
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    roots = [query.fields[name] for name in DIVERGENCE_FIELDS] + [mutation.fields["mergeEntities"]]
    seen: set[str] = set()
    for field in roots:
        assert field.description, field
        for name, argument in field.args.items():
            assert argument.description, name
        _types_reachable(field.type, seen)
    assert {"BeliefGap", "Disagreement", "StructuralGap", "DuplicatePair", "Alignment"} <= seen
    for type_name in seen:
        object_type = schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        assert object_type.description, type_name
        for field_name, field in object_type.fields.items():
            assert field.description, f"{type_name}.{field_name}"
