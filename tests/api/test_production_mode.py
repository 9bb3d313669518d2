"""With COMMONGROUND_ENV=production: no introspection, no GraphiQL, no field suggestions,
and unexpected errors reach clients masked, without their details."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from graph import members
from graph.kit.connection import Database, TxWork
from tests.api.apphelpers import CountingDatabase, app_client
from tests.factories import Caller, make_caller, settings_for_target

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SECRET = "secret detail at /srv/internal/graph.py line 42"


class _BrokenReads(CountingDatabase):
    """Every read but the token lookup fails with an unexpected error, once ``broken``."""

    broken = False

    async def read_after(
        self, bookmarks: list[str] | None, work: TxWork[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if self.broken and work is not members.authenticate:
            raise RuntimeError(SECRET)
        return await super().read_after(bookmarks, work, *args, **kwargs)


@pytest.fixture(params=["production", "development"])
async def env_app(
    request: pytest.FixtureRequest, db: Database, neo4j_target: TestDatabase
) -> AsyncIterator[tuple[str, httpx.AsyncClient, _BrokenReads, Caller]]:
    env = request.param
    caller = await make_caller(db, "product")
    broken = _BrokenReads(db)
    settings = settings_for_target(neo4j_target.target, commonground_env=env)
    async with app_client(settings, broken, raise_app_exceptions=False) as http:
        broken.reset()
        yield env, http, broken, caller


async def _post(http: httpx.AsyncClient, caller: Caller, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query}, headers=caller.headers)
    body: dict[str, Any] = response.json()
    return body


async def test_introspection_is_refused_in_production_before_resolving(env_app: Any) -> None:
    env, http, counting, caller = env_app
    body = await _post(http, caller, "{ __schema { queryType { name } } }")
    if env == "production":
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert counting.queries == 1  # the token lookup only
    else:
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_graphiql_and_queries_over_get_only_outside_production(env_app: Any) -> None:
    env, http, _, caller = env_app
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    over_get = await http.get(
        "/graphql", params={"query": "{ functions { name } }"}, headers=caller.headers
    )
    if env == "production":
        assert page.status_code == 404 and "graphiql" not in page.text.lower()
        assert over_get.status_code in (400, 404, 405) and "data" not in over_get.text
    else:
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert over_get.status_code == 200


async def test_field_suggestions_only_outside_production(env_app: Any) -> None:
    env, http, _, caller = env_app
    body = await _post(http, caller, "{ functionz { name } }")
    message = body["errors"][0]["message"]
    assert "functionz" in message
    if env == "production":
        assert "Did you mean" not in message and "'functions'" not in message
    else:
        assert "Did you mean 'functions'" in message


async def test_unexpected_errors_are_masked_in_production(env_app: Any) -> None:
    env, http, broken, caller = env_app
    broken.broken = True
    response = await http.post(
        "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
    )
    rest = await http.get("/api/v1/imports/import-x", headers=caller.headers)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert rest.status_code == 500 and SECRET not in rest.text and "Traceback" not in rest.text
    if env == "production":
        assert error["message"] == "Unexpected error."
        assert SECRET not in response.text and "Traceback" not in response.text
    else:
        assert SECRET in error["message"]

    # Expected failures keep their message and code in production too.
    broken.broken = False
    missing = await _post(http, caller, "{ entities(first: 1000) { totalCount } }")
    assert missing["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100" in missing["errors"][0]["message"]
    wrong_type = await http.post(
        "/graphql",
        json={
            "query": "query($n: Int) { entities(first: $n) { totalCount } }",
            "variables": {"n": "ten"},
        },
        headers=caller.headers,
    )
    error = wrong_type.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Int cannot represent" in error["message"]


async def test_only_unexpected_errors_reach_the_log(
    env_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, http, broken, caller = env_app
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        await _post(http, caller, "{ entities(first: 1000) { totalCount } }")
        await _post(http, caller, '{ entity(id: "nope") { id } }')
        expected = list(caplog.records)
        broken.broken = True
        await _post(http, caller, "{ functions { name } }")
    assert expected == []  # refusals are answered, not logged
    assert any(SECRET in r.getMessage() or SECRET in str(r.exc_info) for r in caplog.records)
