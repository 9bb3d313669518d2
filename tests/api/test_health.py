"""Health and readiness, through the ASGI app."""

from __future__ import annotations

import httpx

from api.app import create_app
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget
from tests.factories import settings_for_target


async def test_healthz_and_readyz_answer_when_the_database_is_up(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readyz_is_503_with_retry_after_when_the_database_is_unreachable() -> None:
    nowhere = ConnectionTarget(
        f"bolt://127.0.0.1:{local_neo4j.free_port()}", "neo4j", "x", "neo4j", local=False
    )
    app = create_app(settings_for_target(nowhere))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.headers["retry-after"]
            graphql = await http.post("/graphql", json={"query": "{ functions { name } }"})
            assert graphql.status_code == 503
