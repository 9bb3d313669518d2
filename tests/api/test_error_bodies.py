"""Every REST error answers one body: {"error": CODE, "message": text}, with `details` where
there are any, whoever refused the request (a route, the router, validation, the limits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from api.app import create_app
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database
from schema.vocabulary import Role
from tests.api.apphelpers import app_client
from tests.factories import make_caller, settings_for_target

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

IMPORT = "/api/v1/evidence:import"


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return body


async def test_every_refusal_has_the_one_body(client: httpx.AsyncClient, db: Database) -> None:
    pm = await make_caller(db, "product", Role.CONTRIBUTOR)
    _error(await client.post(IMPORT, content=b"x"), 401, "UNAUTHENTICATED")
    _error(
        await client.post("/graphql", json={"query": "{ functions { name } }"}),
        401,
        "UNAUTHENTICATED",
    )
    missing = _error(await client.get("/api/v1/nowhere", headers=pm.headers), 404, "NOT_FOUND")
    assert "/api/v1/nowhere" in missing["message"]
    not_allowed = _error(await client.delete("/healthz"), 405, "METHOD_NOT_ALLOWED")
    assert "DELETE" in not_allowed["message"]
    unknown = await client.get("/api/v1/imports/imp-nowhere", headers=pm.headers)
    assert _error(unknown, 404, "NOT_FOUND")["details"] == {"what": "import", "id": "imp-nowhere"}
    untyped = await client.post(IMPORT, content=b"a,b\n", headers=pm.headers)
    assert "format=csv" in _error(untyped, 415, "UNSUPPORTED_MEDIA_TYPE")["message"]
    invalid = await client.post(f"{IMPORT}?format=xml", content=b"a\n", headers=pm.headers)
    details = _error(invalid, 422, "BAD_USER_INPUT")["details"]
    assert list(details) == ["query.format"] and "csv" in details["query.format"]
    big = b"#" * (10 * 1024 * 1024 + 1)
    too_large = await client.post("/graphql", content=big, headers=pm.headers)
    _error(too_large, 413, "PAYLOAD_TOO_LARGE")


async def test_not_ready_has_the_one_body() -> None:
    nowhere = ConnectionTarget(
        f"bolt://127.0.0.1:{local_neo4j.free_port()}", "neo4j", "x", "neo4j", local=False
    )
    app = create_app(settings_for_target(nowhere))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            ready = _error(await http.get("/readyz"), 503, "SERVICE_UNAVAILABLE")
            assert ready["status"] == "unavailable"
            import_status = await http.get(
                "/api/v1/imports/imp-1", headers={"Authorization": "Bearer x"}
            )
            assert _error(import_status, 503, "SERVICE_UNAVAILABLE")
            assert import_status.headers["retry-after"]
            graphql = await http.post("/graphql", json={"query": "{ functions { name } }"})
            _error(graphql, 503, "SERVICE_UNAVAILABLE")


FUNCTIONS = {"query": "{ functions { name } }"}
DEEP = b"[" * 200_000 + b"]" * 200_000


def _graphql_error(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    error: dict[str, Any] = response.json()["errors"][0]
    assert error["extensions"]["code"] == code, error
    for internal in ("org.neo4j", "Exception", "Traceback", "127.0.0.1"):
        assert internal not in response.text, response.text
    return error


async def test_bad_bookmarks_times_and_bodies_are_clear_bad_input(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product", Role.CONTRIBUTOR)
    for bookmark in ("nonsense", "FB:kcwQ", "FB:" + "A" * 50):
        answer = await client.post(
            "/graphql", json=FUNCTIONS, headers={**pm.headers, "X-Bookmark": bookmark}
        )
        assert "X-Bookmark" in _graphql_error(answer, "BAD_USER_INPUT")["message"]
    not_ascii = await client.post(
        "/graphql",
        json=FUNCTIONS,
        headers=[*pm.headers.items(), ("X-Bookmark", "FB:\xe9t\xe9".encode("latin-1"))],
    )
    assert "X-Bookmark" in _error(not_ascii, 400, "BAD_USER_INPUT")["message"]

    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59"):
        query = f'{{ propositions(asOf: "{moment}") {{ totalCount }} }}'
        answer = await client.post("/graphql", json={"query": query}, headers=pm.headers)
        assert "outside the times" in _graphql_error(answer, "BAD_USER_INPUT")["message"]
        page = await client.get(
            "/api/v1/workshop/segments/seg-x", params={"as_of": moment}, headers=pm.headers
        )
        assert "outside the times" in _error(page, 400, "BAD_USER_INPUT")["message"]

    deep = await client.post(
        "/graphql", content=DEEP, headers={**pm.headers, "Content-Type": "application/json"}
    )
    _error(deep, 400, "BAD_USER_INPUT")


async def test_production_suggests_no_names(db: Database, neo4j_target: TestDatabase) -> None:
    pm = await make_caller(db, "product", Role.CONTRIBUTOR)
    mistakes = (
        "{ propositions(frist: 1) { totalCount } }",  # an argument
        "{ propositions(relation: PURSUE) { totalCount } }",  # an enum value
        "query($r: Relatoin) { propositions(relation: $r) { totalCount } }",  # a type
        "{ functoins { name } }",  # a field
    )
    for env, suggested in (("development", True), ("production", False)):
        settings = settings_for_target(neo4j_target.target, commonground_env=env)
        async with app_client(settings, db) as http:
            for query in mistakes:
                answer = await http.post("/graphql", json={"query": query}, headers=pm.headers)
                message = answer.json()["errors"][0]["message"]
                assert ("Did you mean" in message) is suggested, (env, message)
            enum_variable = await http.post(
                "/graphql",
                json={
                    "query": "query($r: Relation) { propositions(relation: $r) { totalCount } }",
                    "variables": {"r": "PURSUE"},
                },
                headers=pm.headers,
            )
            message = enum_variable.json()["errors"][0]["message"]
            assert ("Did you mean" in message) is suggested, (env, message)
