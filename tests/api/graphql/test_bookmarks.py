"""`extensions.bookmark` is explained where a client looks: the schema and docs/api.md."""

from __future__ import annotations

from pathlib import Path

import httpx

from graph.kit.connection import Database
from tests.factories import gql, make_caller

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"
CREATE = 'mutation { createEntity(input: {kind: SEGMENT, name: "Clinics"}) { id } }'
ROOTS = "{ __schema { queryType { description } mutationType { description } } }"


async def test_the_bookmark_a_write_returns_is_explained_and_works(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product")
    written = await gql(client, pm, CREATE)
    bookmark = written["extensions"]["bookmark"]  # type: ignore[index]
    assert isinstance(bookmark, str) and bookmark

    # What it is and when to send it back: in the schema a client introspects ...
    roots = (await gql(client, pm, ROOTS))["data"]["__schema"]  # type: ignore[index]
    mutation = roots["mutationType"]["description"] or ""
    assert "extensions.bookmark" in mutation and "X-Bookmark" in mutation
    assert "X-Bookmark" in (roots["queryType"]["description"] or "")
    # ... and in the API's documentation.
    text = DOCS.read_text(encoding="utf-8")
    assert "extensions.bookmark" in text and "X-Bookmark" in text and "cluster" in text

    # Sent back, it is accepted and the read sees the write.
    entity_id = written["data"]["createEntity"]["id"]  # type: ignore[index]
    read = await client.post(
        "/graphql",
        json={"query": f'{{ entity(id: "{entity_id}") {{ name }} }}'},
        headers={**pm.headers, "X-Bookmark": bookmark},
    )
    assert read.status_code == 200 and read.json()["data"]["entity"] == {"name": "Clinics"}
