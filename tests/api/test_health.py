"""Health and readiness, through the ASGI app."""

from __future__ import annotations

import asyncio

import httpx

from api.app import create_app
from graph.divergence import shared_model
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database
from tests.conftest import TestDatabase
from tests.factories import settings_for_target, small_model


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


async def test_a_started_server_reads_the_shared_model_before_anyone_asks(
    db: Database, neo4j_target: TestDatabase
) -> None:
    # The first workshop page after a start would otherwise wait for the whole model (five
    # seconds at 100,000 evidence items); the server reads it as soon as it is ready.
    await small_model(db)
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_READ_MODEL_AT_START=True)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for _ in range(300):
            if app.state.ready and shared_model(app.state.db).held:
                break
            await asyncio.sleep(0.1)
        assert app.state.ready
        assert shared_model(app.state.db).held
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/readyz")).status_code == 200


async def test_the_model_is_read_on_first_use_when_not_at_start(
    db: Database, neo4j_target: TestDatabase
) -> None:
    await small_model(db)
    app = create_app(settings_for_target(neo4j_target.target))  # tests' default: not at start
    async with app.router.lifespan_context(app):
        for _ in range(300):
            if app.state.ready:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        assert not shared_model(app.state.db).held
