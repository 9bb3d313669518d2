"""Outage: with the database stopped, every request fails fast with 503 and Retry-After;
once it is back, the same server process serves again without being restarted.

"Fast" is the acceptance bound of ten seconds per request, enforced as the client's timeout:
a request that hangs longer fails the test with a timeout instead of answering.
"""

from __future__ import annotations

import httpx
import pytest

from schema.vocabulary import Role
from tests.factories import make_caller
from tests.reliability.conftest import OwnDatabase, Server, fresh_graph, graphql_body
from tests.reliability.test_crash_durability import wait_until_ready

pytestmark = pytest.mark.slow

NO_REQUEST_HANGS_LONGER_S = 10.0
RECOVERED_REQUEST_BUDGET_S = 90.0

FUNCTIONS = "{ functions { name } }"
CREATE_SEGMENT = """
mutation { createEntity(input: {kind: SEGMENT, name: "Agencies", idempotencyKey: "outage-1"}) {
  id name } }
"""
IMPORT_ROW = (
    '{"summary": "Setup took two weeks", "source_type": "interview", '
    '"proposition_id": "prop-000000000000000000000000", "stance": "SUPPORTS"}\n'
)


async def requests_during_outage(http: httpx.AsyncClient, token: str) -> list[httpx.Response]:
    """One of each kind: a GraphQL read and write, a bulk import, readiness, an unsigned call."""
    auth = {"Authorization": f"Bearer {token}"}
    return [
        await http.post("/graphql", json={"query": FUNCTIONS}, headers=auth),
        await http.post("/graphql", json={"query": CREATE_SEGMENT}, headers=auth),
        await http.post(
            "/api/v1/evidence:import",
            content=IMPORT_ROW,
            headers={**auth, "Content-Type": "application/x-ndjson"},
        ),
        await http.get("/readyz"),
        await http.post("/graphql", json={"query": FUNCTIONS}),
    ]


async def test_a_stopped_database_answers_503_at_once_and_the_server_recovers_alone(
    own_db: OwnDatabase, own_server: Server
) -> None:
    own_db.ensure_running()
    own_server.wait_ready()
    db = own_db.connect()
    try:
        await fresh_graph(db)
        caller = await make_caller(db, "product", Role.CONTRIBUTOR)
    finally:
        await db.close()
    server_pid = own_server.pid
    timeout = httpx.Timeout(NO_REQUEST_HANGS_LONGER_S)
    async with httpx.AsyncClient(base_url=own_server.url, timeout=timeout) as http:
        auth = {"Authorization": f"Bearer {caller.token}"}
        before = graphql_body(await http.post("/graphql", json={"query": FUNCTIONS}, headers=auth))
        assert "product" in {f["name"] for f in before["data"]["functions"]}

        own_db.stop()
        try:
            # Twice: the first pass finds the database gone, the second is answered at once
            # from the readiness flag.
            for _ in range(2):
                for response in await requests_during_outage(http, caller.token):
                    assert response.status_code == 503, (response.request.url, response.text)
                    assert response.headers["retry-after"].isdigit()
            assert (await http.get("/healthz")).status_code == 200  # the process is up
        finally:
            own_db.start()

        await wait_until_ready(http)
        # The 10 s bound is for requests during the outage; the first query after a restart
        # meets a cold JVM, which on a loaded machine can take longer.
        after = graphql_body(
            await http.post(
                "/graphql",
                json={"query": FUNCTIONS},
                headers=auth,
                timeout=httpx.Timeout(RECOVERED_REQUEST_BUDGET_S),
            )
        )
        assert after["data"] == before["data"]
        created = graphql_body(
            await http.post("/graphql", json={"query": CREATE_SEGMENT}, headers=auth)
        )
        assert created["data"]["createEntity"]["name"] == "Agencies"
    assert own_server.alive() and own_server.pid == server_pid, "the server was restarted"


FAIL_FAST_S = 2.0  # the bound: an outage turns into 503s within two seconds


async def test_the_first_requests_after_a_crash_answer_503_within_two_seconds_in_plain_words(
    own_db: OwnDatabase, own_server: Server
) -> None:
    own_db.ensure_running()
    own_server.wait_ready()
    db = own_db.connect()
    try:
        caller = await make_caller(db, "product", Role.CONTRIBUTOR)
    finally:
        await db.close()
    auth = {"Authorization": f"Bearer {caller.token}"}
    async with httpx.AsyncClient(base_url=own_server.url, timeout=30) as http:
        # The server's pool holds connections that the crash breaks under it.
        for _ in range(3):
            graphql_body(await http.post("/graphql", json={"query": FUNCTIONS}, headers=auth))
        own_db.kill()
        try:
            # The bound is each request's client timeout: one that hangs longer fails.
            fast = httpx.Timeout(FAIL_FAST_S)
            read = await http.post(
                "/graphql", json={"query": FUNCTIONS}, headers=auth, timeout=fast
            )
            write = await http.post(
                "/graphql", json={"query": CREATE_SEGMENT}, headers=auth, timeout=fast
            )
            ready = await http.get("/readyz", timeout=fast)
        finally:
            own_db.start()
        for response in (read, write, ready):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"].isdigit()
            for internal in ("127.0.0.1", "Errno", "Couldn't connect"):
                assert internal not in response.text, response.text
        assert "database" in read.text  # in plain words: what is wrong, not where
        await wait_until_ready(http)
