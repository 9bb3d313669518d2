"""Each API process keeps the current model; a write through any replica reaches the others.

Two real servers against one database, each with its own copy of the model: a tool reading
through one sees, on its very next read, what another tool wrote through the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import gql, make_caller, settings_for_target, small_model
from tests.live_server import serve

if TYPE_CHECKING:  # imported for the annotation only: pytest would try to collect it
    from tests.conftest import TestDatabase

GAPS = """
query($segment: ID!) {
  divergences(segmentId: $segment) {
    totalCount
    edges { node { function p confidence evidence { evidenceCount } } }
  }
}
"""
ADD_EVIDENCE = "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }"
STATE_BELIEF = "mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id } }"


def _interviews(proposition: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "sourceType": "interview",
            "summary": f"interview {n}: they lose hours to onboarding",
            "bears": [{"propositionId": proposition, "stance": "SUPPORTS", "strength": 1.0}],
        }
        for n in range(count)
    ]


async def test_a_write_through_one_replica_is_read_through_the_other(
    db: Database, neo4j_target: TestDatabase
) -> None:
    model = await small_model(db, account=None, pains=1)
    (pain,) = model.experiences
    sales = await make_caller(db, "sales", Role.CONTRIBUTOR)
    settings = settings_for_target(neo4j_target.target)
    with serve(settings) as replica_a, serve(settings) as replica_b:
        async with (
            httpx.AsyncClient(base_url=replica_a.url, timeout=30) as a,
            httpx.AsyncClient(base_url=replica_b.url, timeout=30) as b,
        ):

            async def gaps(http: httpx.AsyncClient) -> dict[str, Any]:
                body = await gql(http, sales, GAPS, segment=model.segment_id)
                assert "errors" not in body, body
                found: dict[str, Any] = body["data"]["divergences"]  # type: ignore[index]
                return found

            # Both replicas hold the model: no belief yet, so no gap.
            assert (await gaps(a))["totalCount"] == 0
            assert (await gaps(b))["totalCount"] == 0

            stated = await gql(a, sales, STATE_BELIEF, i={"propositionId": pain, "p": 0.1})
            assert "errors" not in stated, stated
            # The belief alone makes no gap (no evidence yet), on either replica.
            assert (await gaps(b))["totalCount"] == 0

            added = await gql(a, sales, ADD_EVIDENCE, i=_interviews(pain, 4))
            assert "errors" not in added, added
            # Replica B's next read sees the evidence written through A: sales doubts what
            # four interviews say.
            seen = await gaps(b)
            assert seen["totalCount"] == 1
            row = seen["edges"][0]["node"]
            assert row["function"] == "sales" and row["p"] == 0.1
            assert row["evidence"]["evidenceCount"] == 4
            assert row["confidence"] > 0.9

            # And the other way round: B writes, A reads at once.
            more = await gql(b, sales, STATE_BELIEF, i={"propositionId": pain, "p": 0.95})
            assert "errors" not in more, more
            assert (await gaps(a))["edges"][0]["node"]["p"] == 0.95
            assert (await gaps(b))["edges"][0]["node"]["p"] == 0.95
