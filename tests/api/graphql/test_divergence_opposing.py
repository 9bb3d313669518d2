"""Gaps that oppose the evidence, apart from calibration gaps; pairwise alpha intervals; a
null alpha that says why; distinct sources — through GraphQL on the demo company."""

from __future__ import annotations

from typing import Any

import httpx

from graph import seeding
from graph.kit.connection import Database
from tests.factories import gql, make_caller

AS_OF = "2026-11-22T00:00:00+00:00"

GAPS = """
query($asOf: DateTime, $opposing: Boolean) {
  divergences(asOf: $asOf, significantOnly: true, opposingOnly: $opposing, first: 100) {
    totalCount
    nodes { function p confidence gap opposesEvidence text evidence { distinctSources } }
  }
}
"""

ALIGNMENT = """
query($asOf: DateTime, $segment: ID) {
  alignment(asOf: $asOf, segmentId: $segment) {
    alpha alphaLow alphaHigh alphaNullReason units
    pairwise { a b alpha alphaLow alphaHigh alphaNullReason units }
  }
}
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    assert isinstance(data, dict)
    return data


async def test_opposing_gaps_are_told_apart(client: httpx.AsyncClient, db: Database) -> None:
    await seeding.load_demo(db)
    caller = await make_caller(db, "product")
    every = _data(await gql(client, caller, GAPS, asOf=AS_OF))["divergences"]
    opposing = _data(await gql(client, caller, GAPS, asOf=AS_OF, opposing=True))["divergences"]

    flagged = [r for r in every["nodes"] if r["opposesEvidence"]]
    assert every["totalCount"] == len(every["nodes"])
    assert 0 < opposing["totalCount"] == len(flagged) < every["totalCount"]
    assert all(r["opposesEvidence"] for r in opposing["nodes"])
    for row in every["nodes"]:
        sides = (row["p"] - 0.5) * (row["confidence"] - 0.5)
        assert row["opposesEvidence"] is (sides < 0)
    # A belief on the evidence's side of ½, only weaker, is a calibration gap.
    same_side = [r for r in every["nodes"] if not r["opposesEvidence"]]
    assert any(r["p"] > 0.5 and r["confidence"] > 0.9 and r["gap"] < -0.25 for r in same_side)
    assert all(r["evidence"]["distinctSources"] >= 1 for r in every["nodes"])


async def test_pairwise_alphas_have_intervals_and_nulls_say_why(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seeding.load_demo(db)
    caller = await make_caller(db, "product")
    overall = _data(await gql(client, caller, ALIGNMENT, asOf=AS_OF))["alignment"]
    assert overall["alphaNullReason"] is None
    defined = [p for p in overall["pairwise"] if p["alpha"] is not None]
    assert defined
    for pair in defined:
        assert pair["alphaLow"] is not None and pair["alphaLow"] <= pair["alphaHigh"]
        assert pair["alphaNullReason"] is None
    for pair in overall["pairwise"]:
        if pair["alpha"] is None:
            assert pair["alphaNullReason"] in {"TOO_FEW_UNITS", "NO_VARIATION"}
            assert pair["alphaLow"] is None and pair["alphaHigh"] is None
            if pair["units"] < 5:
                assert pair["alphaNullReason"] == "TOO_FEW_UNITS"
    # Before any belief there is nothing to pair: too few units, not perfect agreement.
    early = _data(await gql(client, caller, ALIGNMENT, asOf="2020-01-01T00:00:00Z"))["alignment"]
    assert early["alpha"] is None and early["alphaNullReason"] == "TOO_FEW_UNITS"
