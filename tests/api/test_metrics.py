"""GET /metrics: Prometheus text with requests by route template and status, latency,
GraphQL operations by type and outcome, and whether the database answers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from api.app import create_app
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database
from tests.factories import gql, make_caller, settings_for_target

if TYPE_CHECKING:
    pass


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_count_requests_operations_and_see_the_database(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product")
    await gql(client, pm, "{ functions { name } }")
    await gql(client, pm, "{ functions { name } }")
    await gql(client, pm, "{ nope }")
    await gql(client, pm, 'mutation { createEntity(input: {kind: GOAL, name: "Grow"}) { id } }')
    await client.get("/api/v1/imports/import-abc", headers=pm.headers)
    await client.get("/api/v1/imports/import-def", headers=pm.headers)
    await client.get("/no/such/page")

    response = await client.get("/metrics")  # public: no token
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "commonground_http_requests_total", route="/graphql", status="200") == 4
    # One series per route template, not per id.
    assert (
        _sample(
            text,
            "commonground_http_requests_total",
            route="/api/v1/imports/{import_id}",
            status="404",
        )
        == 2
    )
    assert "import-abc" not in text
    assert _sample(text, "commonground_http_requests_total", route="unmatched") == 1
    assert (
        _sample(text, "commonground_graphql_operations_total", operation_type="query", outcome="ok")
        == 2
    )
    assert (
        _sample(
            text, "commonground_graphql_operations_total", operation_type="query", outcome="error"
        )
        == 1
    )
    assert (
        _sample(
            text, "commonground_graphql_operations_total", operation_type="mutation", outcome="ok"
        )
        == 1
    )
    count = _sample(
        text, "commonground_http_request_duration_seconds_count", route="/graphql", method="POST"
    )
    assert count == 4
    assert _sample(text, "commonground_database_up") == 1
    assert _sample(text, "commonground_ready") == 1


async def test_metrics_answer_while_the_database_is_unreachable() -> None:
    nowhere = ConnectionTarget(
        f"bolt://127.0.0.1:{local_neo4j.free_port()}", "neo4j", "x", "neo4j", local=False
    )
    app = create_app(settings_for_target(nowhere))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (
                await http.post("/graphql", json={"query": "{ functions { name } }"})
            ).status_code == 503
            response = await http.get("/metrics")
    assert response.status_code == 200
    assert _sample(response.text, "commonground_database_up") == 0
    assert _sample(response.text, "commonground_ready") == 0
    assert (
        _sample(response.text, "commonground_http_requests_total", route="/graphql", status="503")
        == 1
    )
