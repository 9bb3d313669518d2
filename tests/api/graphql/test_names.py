"""One name for one figure across the API; the old names answer on, marked deprecated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLNamedType, GraphQLObjectType, get_named_type

from api.graphql.schema import build_schema
from graph.kit.connection import Database
from schema.settings import Settings
from tests.factories import gql, make_caller, small_model

ADD = "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }"
STATE = "mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id } }"
READ = """
query($segment: ID!) {
  entity(id: $segment) { createdById createdBy }
  disagreements {
    evidence { intervalLow intervalHigh intervalLevel }
    highest { statedById statedBy }
    proposition {
      createdById createdBy
      evidenceSupport { intervalLow intervalHigh intervalLevel low high }
    }
  }
}
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data: dict[str, Any] = body["data"]
    return data


async def test_the_interval_and_member_ids_have_one_name(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await small_model(db, pains=1)
    pm = await make_caller(db, "product")
    sales = await make_caller(db, "sales")
    prop = model.experiences[0]
    bears = [{"propositionId": prop, "stance": "SUPPORTS"}]
    items = [{"sourceType": "interview", "summary": f"Quote {n}", "bears": bears} for n in range(3)]
    _data(await gql(client, pm, ADD, i=items))
    _data(await gql(client, pm, STATE, i={"propositionId": prop, "p": 0.9}))
    _data(await gql(client, sales, STATE, i={"propositionId": prop, "p": 0.2}))

    data = _data(await gql(client, pm, READ, segment=model.segment_id))
    [row] = data["disagreements"]
    support = row["proposition"]["evidenceSupport"]
    # Support and EvidenceSummary call the credible interval by the same names (and agree to
    # the relative 1e-9 of two roads to one figure: the shared model's weights and the
    # support query's).
    assert {k: support[k] for k in row["evidence"]} == pytest.approx(row["evidence"], rel=1e-9)
    assert 0 < support["intervalLow"] < support["intervalHigh"] < 1
    assert (support["low"], support["high"]) == (support["intervalLow"], support["intervalHigh"])
    # A member id is `…ById` everywhere; the old names still answer the same id.
    assert row["highest"] == {"statedById": pm.member.id, "statedBy": pm.member.id}
    assert row["proposition"]["createdById"] == row["proposition"]["createdBy"] == "system"
    assert data["entity"] == {"createdById": "system", "createdBy": "system"}


def _object_types() -> list[GraphQLObjectType]:
    types = build_schema(Settings())._schema.type_map.values()
    return [t for t in types if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")]


def test_the_schema_keeps_one_name_per_figure() -> None:
    seen_deprecated: dict[str, str] = {}
    for type_ in _object_types():
        for name, field in type_.fields.items():
            if field.deprecation_reason:
                seen_deprecated[f"{type_.name}.{name}"] = field.deprecation_reason
                continue
            target: GraphQLNamedType = get_named_type(field.type)
            # `statedBy`, `recordedBy`: the Member; `statedById`: the member's id.
            if name.endswith("By"):
                assert isinstance(target, GraphQLObjectType), f"{type_.name}.{name} is an id"
            # A credible interval is intervalLow / intervalHigh / intervalLevel wherever it is.
            if "intervalLevel" in type_.fields:
                assert name not in ("low", "high"), f"{type_.name}.{name}"
    renamed = {
        "Support.low": "intervalLow",
        "Support.high": "intervalHigh",
        "FunctionBelief.statedBy": "statedById",
        "Entity.createdBy": "createdById",
        "Proposition.createdBy": "createdById",
        "Snapshot.createdBy": "createdById",
        "DuplicateEntity.createdBy": "createdById",
    }
    for old, new in renamed.items():
        assert f"`{new}`" in seen_deprecated.get(old, ""), old
