"""Evidence to collect next through GraphQL: the ranking, the items each proposition needs,
the same figures on the Proposition node, and the refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from analytics.information import information_value
from graph.kit.connection import Database
from tests.factories import gql, make_caller
from tests.graph.calibration_history import DAY, T0, resolved_history

TO_COLLECT = """
query($asOf: DateTime, $function: String, $first: Int) {
  evidenceToCollect(asOf: $asOf, function: $function, first: $first) {
    text valueOfInformation itemsToValidate itemsToRefute score consensusMagnitude
    farFunctions
    evidence { supportingWeight contradictingWeight status }
    proposition { id valueOfInformation itemsToValidate itemsToRefute }
  }
}
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    assert isinstance(data, dict)
    return data


async def test_evidence_to_collect(client: httpx.AsyncClient, db: Database) -> None:
    await resolved_history(db)
    caller = await make_caller(db, "product")
    as_of = (T0 + 15 * DAY).isoformat()  # the first pain validated, the second not yet
    rows = _data(await gql(client, caller, TO_COLLECT, asOf=as_of))["evidenceToCollect"]
    assert len(rows) == 2
    # The unresolved one is worth more: no evidence yet, and marketing and success are far.
    top, second = rows
    assert top["evidence"]["status"] == "UNKNOWN" and second["evidence"]["status"] == "VALIDATED"
    assert top["score"] > second["score"]
    assert sorted(top["farFunctions"]) == ["marketing", "success"]
    expected = information_value(0.0, 0.0, 0.8)
    assert top["valueOfInformation"] == pytest.approx(expected.value_of_information, abs=1e-12)
    assert top["score"] == pytest.approx(expected.value_of_information * 3 * 3, abs=1e-9)
    assert (top["itemsToValidate"], top["itemsToRefute"]) == (5, 5)
    assert second["itemsToValidate"] == 0 and second["itemsToRefute"] > 0
    for row in rows:
        node = row["proposition"]
        assert node["itemsToValidate"] is not None
        # The node answers as of now; the pains' evidence has only aged since.
        assert node["itemsToRefute"] is not None and node["valueOfInformation"] >= 0

    only_sales = _data(await gql(client, caller, TO_COLLECT, asOf=as_of, function="sales"))
    assert len(only_sales["evidenceToCollect"]) == 1  # sales holds one belief


async def test_evidence_to_collect_refusals(client: httpx.AsyncClient, db: Database) -> None:
    refused = await client.post("/graphql", json={"query": "{ evidenceToCollect { score } }"})
    assert refused.status_code == 401
    caller = await make_caller(db, "product")
    unknown = await gql(client, caller, TO_COLLECT, function="finance")
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]
    too_many = await gql(client, caller, TO_COLLECT, first=1000)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
