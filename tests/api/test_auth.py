"""The token wall, the cookie's cross-site rule and the token cache, through the ASGI app."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson

from graph import members
from graph.kit.connection import Database
from schema.models import Actor
from schema.settings import Settings
from tests.api.apphelpers import CountingDatabase, app_client, graph_fingerprint
from tests.factories import make_caller
from tests.signin import let_cache_check_pass, same_origin, sign_in


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


CREATE = 'mutation { createEntity(input: {kind: GOAL, name: "Close the books"}) { id } }'


async def test_changes_made_with_the_cookie_must_come_from_this_sites_pages(
    client: httpx.AsyncClient, db: Database
) -> None:
    caller = await make_caller(db, "product")
    await sign_in(client, caller.token)
    mutation = {"query": CREATE}
    before = await graph_fingerprint(db)
    elsewhere = await client.post("/graphql", json=mutation, headers={"Origin": "http://test:8081"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "FORBIDDEN"
    assert "test:8081" in elsewhere.json()["message"]
    anonymous = await client.post("/graphql", json=mutation)  # no Origin, no Sec-Fetch-Site
    assert anonymous.status_code == 403
    same_site = await client.post(
        "/graphql", json=mutation, headers={"Sec-Fetch-Site": "same-site"}
    )
    assert same_site.status_code == 403
    as_text = await client.post(
        "/graphql",
        content=orjson.dumps(mutation),
        headers={**same_origin(client), "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 403 and "text/plain" in as_text.json()["message"]
    assert await graph_fingerprint(db) == before  # nothing was written

    own_page = await client.post("/graphql", json=mutation, headers=same_origin(client))
    assert own_page.status_code == 200 and "errors" not in own_page.json(), own_page.text
    fetch = await client.post("/graphql", json=mutation, headers={"Sec-Fetch-Site": "same-origin"})
    assert fetch.status_code == 200 and "errors" not in fetch.json()
    # Reads need no Origin; a tool's bearer token is not affected at all.
    assert (await client.get("/api/v1/workshop/me")).status_code == 200
    tool = await client.post(
        "/graphql",
        json=mutation,
        headers={**caller.headers, "Origin": "http://elsewhere.example", "Cookie": ""},
    )
    assert tool.status_code == 200 and "errors" not in tool.json()


async def test_a_token_is_looked_up_once_then_trusted_until_the_members_version_moves(
    db: Database, app_settings: Settings
) -> None:
    caller = await make_caller(db, "sales")
    query = {"query": "{ functions { name } }"}
    replica_a, replica_b = CountingDatabase(db), CountingDatabase(db)
    async with (
        app_client(app_settings, replica_a) as a,
        app_client(app_settings, replica_b) as b,
    ):
        for http, replica in ((a, replica_a), (b, replica_b)):
            assert (await http.post("/graphql", json=query, headers=caller.headers)).is_success
            replica.reset()
            again = await http.post("/graphql", json=query, headers=caller.headers)
            assert again.status_code == 200
            assert not [q for q in replica.log if "MembersVersion" in q], replica.log

        # Revoked elsewhere (the CLI, or a third replica): each replica refuses the token at
        # its next version check.
        await db.write(members.deactivate, Actor.system(), caller.member.id, datetime.now(UTC))
        for http, replica in ((a, replica_a), (b, replica_b)):
            let_cache_check_pass(replica)
            refused = await http.post("/graphql", json=query, headers=caller.headers)
            assert refused.status_code == 401
