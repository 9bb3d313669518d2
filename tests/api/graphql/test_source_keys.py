"""addEvidence with a sourceKey: one loud requester stays one source, and only a hash of the
key is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from graph.kit.connection import Database, fetch_all
from tests.factories import gql, make_caller, small_model

ADD = "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }"
SUPPORT = """
query($id: ID!) {
  proposition(id: $id) { evidenceSupport { evidenceCount distinctAccounts distinctSources } }
}
"""


async def test_one_requester_is_one_source(client: httpx.AsyncClient, db: Database) -> None:
    model = await small_model(db, account=None, pains=1, at=datetime.now(UTC) - timedelta(days=1))
    (pid,) = model.experiences
    caller = await make_caller(db, "success")

    def ticket(n: int, key: str | None) -> dict[str, Any]:
        return {
            "sourceType": "support_ticket",
            "summary": f"ticket {n}",
            "sourceKey": key,
            "bears": [{"propositionId": pid, "stance": "SUPPORTS"}],
        }

    items = [ticket(n, "Ada@Example.com" if n % 2 else "ada@example.com") for n in range(4)]
    added = await gql(client, caller, ADD, i=[*items, ticket(9, None)])
    assert "errors" not in added, added
    found = await gql(client, caller, SUPPORT, id=pid)
    assert found["data"]["proposition"]["evidenceSupport"] == {  # type: ignore[index]
        "evidenceCount": 5,
        "distinctAccounts": 0,
        "distinctSources": 2,
    }
    keys = await db.read(fetch_all, "MATCH (ev:Evidence) RETURN ev.source_key AS key")
    assert not any("@" in (row["key"] or "") for row in keys)
