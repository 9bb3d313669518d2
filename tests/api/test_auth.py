"""The token wall, through the ASGI app."""

from __future__ import annotations

import httpx


async def test_data_needs_a_token(client: httpx.AsyncClient) -> None:
    query = {"query": "{ functions { name } }"}
    assert (await client.post("/graphql", json=query)).status_code == 401
    bad = await client.post("/graphql", json=query, headers={"Authorization": "Bearer cg_nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


async def test_public_routes_need_no_token(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert (await client.get(path)).status_code == 200, path
    ide = await client.get("/graphql", headers={"Accept": "text/html"})
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()
