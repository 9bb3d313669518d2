"""Each API limit refuses an oversized request before any resolver touches the database.

The app runs on a database that counts Cypher queries: a refused request sends only the
token lookup (or nothing at all, for the body-size limit), while the same request just
inside the limit goes on to run its resolvers, so the counter can tell the two apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ClientError, ServiceUnavailable, TransientError

from graph import members
from graph.evidence import writing
from graph.kit.connection import Database, Timeouts, TxWork, fetch_one
from schema.vocabulary import Role
from tests.api.apphelpers import CountingDatabase, app_client
from tests.factories import Caller, make_caller, settings_for_target

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

AUTH_ONLY = 1  # the token lookup every data request makes


@pytest.fixture
async def counted(
    db: Database, neo4j_target: TestDatabase
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingDatabase, Caller]]:
    counting = CountingDatabase(db)
    caller = await make_caller(db, "product", Role.CONTRIBUTOR)
    async with app_client(settings_for_target(neo4j_target.target), counting) as http:
        counting.reset()
        yield http, counting, caller


async def _post(
    http: httpx.AsyncClient, caller: Caller, query: str, **variables: Any
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _nested_segments(depth: int) -> str:
    """``entities { nodes { segment { ... { id } } } }`` whose ``id`` is at ``depth``, counting
    the root field as depth 0 (as the limiter does)."""
    inner = "id"
    for _ in range(depth - 2):
        inner = f"segment {{ {inner} }}"
    return f"{{ entities(first: 1) {{ nodes {{ {inner} }} }} }}"


async def test_query_depth_over_twelve_is_refused_before_resolving(counted: Any) -> None:
    http, counting, caller = counted
    too_deep = await _post(http, caller, _nested_segments(13))
    assert "exceeds maximum operation depth of 12" in too_deep["errors"][0]["message"]
    assert too_deep.get("data") is None
    assert counting.queries == AUTH_ONLY

    counting.reset()
    at_limit = await _post(http, caller, _nested_segments(12))
    assert "errors" not in at_limit
    assert counting.queries > AUTH_ONLY


async def test_more_than_fifty_aliases_are_refused_before_resolving(counted: Any) -> None:
    http, counting, caller = counted
    many = " ".join(f"f{n}: functions {{ name }}" for n in range(51))
    refused = await _post(http, caller, f"{{ {many} }}")
    assert "aliases found" in refused["errors"][0]["message"]
    assert counting.queries == AUTH_ONLY

    counting.reset()
    fifty = " ".join(f"f{n}: functions {{ name }}" for n in range(50))
    assert "errors" not in await _post(http, caller, f"{{ {fifty} }}")
    assert counting.queries > AUTH_ONLY


async def test_a_query_of_too_many_tokens_is_refused_before_resolving(counted: Any) -> None:
    http, counting, caller = counted
    fields = " ".join(["name"] * 5000)
    refused = await _post(http, caller, f"{{ functions {{ {fields} }} }}")
    assert "token" in refused["errors"][0]["message"].lower()
    assert counting.queries == AUTH_ONLY

    fewer = " ".join(["name"] * 50)
    answered = await _post(http, caller, f"{{ functions {{ {fewer} }} }}")
    assert "errors" not in answered and len(answered["data"]["functions"]) == 7


ADD_EVIDENCE = """
mutation($items: [EvidenceInput!]!) { addEvidence(input: $items) { created } }
"""


async def test_an_add_evidence_batch_over_five_thousand_is_refused_before_writing(
    counted: Any,
) -> None:
    http, counting, caller = counted
    item = {
        "sourceType": "interview",
        "summary": "x",
        "bears": [{"propositionId": "prop-x", "stance": "SUPPORTS"}],
    }
    refused = await _post(http, caller, ADD_EVIDENCE, items=[item] * 5001)
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 5000" in error["message"]
    assert counting.queries == AUTH_ONLY

    counting.reset()
    within = await _post(http, caller, ADD_EVIDENCE, items=[item] * 2)
    # It reached the database: the batch's one check statement found no such proposition
    # (the token may come from its short-lived cache by now, so the count alone proves less).
    assert within["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert " ".join(writing.CHECK_BATCH.split())[:100] in counting.log


async def test_a_page_over_one_hundred_is_refused_before_listing(counted: Any) -> None:
    http, counting, caller = counted
    refused = await _post(http, caller, "{ entities(first: 101) { totalCount } }")
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert counting.queries == AUTH_ONLY


async def test_a_body_over_ten_mib_is_refused_before_anything_runs(counted: Any) -> None:
    http, counting, caller = counted
    padding = "#" * (10 * 1024 * 1024)
    body = f'{{"query": "{{ functions {{ name }} }} {padding}"}}'.encode()
    declared = await http.post(
        "/graphql",
        content=body,
        headers={**caller.headers, "Content-Type": "application/json"},
    )
    assert declared.status_code == 413
    assert "10485760" in declared.json()["message"]
    assert counting.queries == 0  # not even the token lookup

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    streamed = await http.post(
        "/graphql",
        content=chunked(),
        headers={**caller.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.json() == declared.json()
    # Refused on its Content-Length before anything ran; the chunked one after the token
    # lookup, while it streamed in, and before any resolver.
    assert counting.queries <= AUTH_ONLY

    # A megabyte of variables (not of query text, which has a limit of its own) goes through.
    pad = "#" * (1024 * 1024)
    just_under = f'{{"query": "{{ functions {{ name }} }}", "variables": {{"pad": "{pad}"}}}}'
    ok = await http.post(
        "/graphql",
        content=just_under.encode(),
        headers={**caller.headers, "Content-Type": "application/json"},
    )
    assert ok.status_code == 200 and len(ok.json()["data"]["functions"]) == 7


async def test_a_request_past_its_time_budget_answers_504_and_writes_nothing(
    db: Database, neo4j_target: TestDatabase
) -> None:
    caller = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_REQUEST_TIMEOUT=1e-9)
    async with app_client(settings, db) as http:
        response = await http.post(
            "/graphql",
            json={"query": 'mutation { createEntity(input: {kind: GOAL, name: "Grow"}) { id } }'},
            headers=caller.headers,
        )
        assert (await http.get("/healthz")).status_code == 200  # not timed: no database work
    assert response.status_code == 504
    assert response.json()["error"] == "TIMEOUT"
    assert await db.read(_goal_count) == 0


async def _goal_count(tx: AsyncManagedTransaction) -> int:
    row = await fetch_one(tx, "MATCH (e:Entity) RETURN count(e) AS n")
    return int(row["n"]) if row else 0


async def _slow_count(tx: AsyncManagedTransaction) -> int:
    result = await tx.run(
        "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b "
        "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n"
    )
    record = await result.single()
    return int(record["n"]) if record else 0


class _SlowReads(Database):
    """Once ``slow`` is set, reads other than the token lookup run a long query first."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.driver, db.name, Timeouts(transaction_s=1.0, retry_s=1.0))
        self.slow = False

    async def read_after(
        self, bookmarks: list[str] | None, work: TxWork[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if not self.slow or work is members.authenticate:
            return await super().read_after(bookmarks, work, *args, **kwargs)

        async def slow_then(tx: AsyncManagedTransaction, *a: Any, **kw: Any) -> Any:
            await _slow_count(tx)
            return await work(tx, *a, **kw)

        return await super().read_after(bookmarks, slow_then, *args, **kwargs)


async def test_the_database_kills_a_transaction_past_the_transaction_timeout(
    db: Database, neo4j_target: TestDatabase
) -> None:
    short = Database(db.driver, db.name, Timeouts(transaction_s=1.0, retry_s=1.0))
    with pytest.raises(ClientError) as raised:
        await short.read(_slow_count)
    assert "TransactionTimedOut" in (raised.value.code or ""), raised.value.code

    caller = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target)
    slow = _SlowReads(db)
    async with app_client(settings, slow) as http:
        slow.slow = True
        graphql = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        rest = await http.get("/api/v1/imports/import-x", headers=caller.headers)
    assert graphql.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert rest.status_code == 504 and rest.json()["error"] == "TIMEOUT"


class _Failing(CountingDatabase):
    """While ``failure`` is set, every read but the token lookup raises it: a server gone
    (ServiceUnavailable), or one refusing work it has no transaction memory for after the
    driver's retries (TransientError)."""

    failure: Exception | None = None

    async def read_after(
        self, bookmarks: list[str] | None, work: TxWork[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if self.failure is not None and work is not members.authenticate:
            raise self.failure
        return await super().read_after(bookmarks, work, *args, **kwargs)


UNREACHABLE = ServiceUnavailable("Couldn't connect to 127.0.0.1:7687")


async def test_a_database_outage_answers_503_with_retry_after_and_recovers_alone(
    db: Database, neo4j_target: TestDatabase
) -> None:
    caller = await make_caller(db, "product")
    flaky = _Failing(db)
    async with app_client(settings_for_target(neo4j_target.target), flaky) as http:
        flaky.failure = UNREACHABLE
        graphql = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        assert graphql.status_code == 503 and graphql.headers["retry-after"].isdigit()
        assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "127.0.0.1" not in graphql.text  # the driver's words stay in the log
        assert "unreachable" in graphql.json()["errors"][0]["message"]

        # From now on the app answers 503 at once, without asking the database.
        flaky.reset()
        rest = await http.get("/api/v1/imports/import-x", headers=caller.headers)
        again = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        ready = await http.get("/readyz")
        assert [r.status_code for r in (rest, again, ready)] == [503, 503, 503]
        assert all(r.headers["retry-after"].isdigit() for r in (rest, again, ready))
        assert flaky.queries == 0

        flaky.failure = None  # the database is back: a probe notices, no restart needed
        for _ in range(100):
            if (await http.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        back = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        assert back.status_code == 200 and len(back.json()["data"]["functions"]) == 7


async def test_a_busy_database_answers_503_with_retry_after_and_stays_ready(
    db: Database, neo4j_target: TestDatabase
) -> None:
    caller = await make_caller(db, "product")
    busy = _Failing(db)
    async with app_client(settings_for_target(neo4j_target.target), busy) as http:
        busy.failure = TransientError(
            "The allocation of an extra 2.0 MiB would use more than the limit 1.4 GiB."
        )
        graphql = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        rest = await http.get("/api/v1/imports/import-x", headers=caller.headers)
        # A workshop page, whose read is shared with the pages opened with it, says so too.
        workshop = await http.get("/api/v1/workshop/segments/seg-x", headers=caller.headers)
        assert [r.status_code for r in (graphql, rest, workshop)] == [503, 503, 503]
        assert all(r.headers["retry-after"].isdigit() for r in (graphql, rest, workshop))
        assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "retry" in rest.json()["message"]

        # Busy is not down: the app stays ready and the next request is served.
        assert (await http.get("/readyz")).status_code == 200
        busy.failure = None
        back = await http.post(
            "/graphql", json={"query": "{ functions { name } }"}, headers=caller.headers
        )
        assert back.status_code == 200 and len(back.json()["data"]["functions"]) == 7


ENORMOUS = (
    "{ propositions(first: 100) { nodes { evidence(first: 100) { nodes { bears { proposition "
    "{ evidence(first: 100) { nodes { id } } } } } } } } }"
)


async def test_a_query_over_the_cost_budget_is_refused_before_resolving(counted: Any) -> None:
    http, counting, caller = counted
    refused = await _post(http, caller, ENORMOUS)
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["budget"] == 150_000
    assert error["extensions"]["cost"] > 150_000
    assert f"{error['extensions']['cost']:,}" in error["message"]
    assert refused.get("data") is None
    assert counting.queries <= AUTH_ONLY

    # The same shape with its page sizes as variables: measured with their values.
    paged = (
        "query($n: Int!) { propositions(first: $n) { nodes { evidence(first: $n) "
        "{ nodes { bears { proposition { id } } } } } } }"
    )
    counting.reset()
    assert "cost" in (await _post(http, caller, paged, n=100))["errors"][0]["extensions"]
    assert counting.queries <= AUTH_ONLY
    allowed = await _post(http, caller, paged, n=5)
    assert "errors" not in allowed and allowed["data"]["propositions"]["nodes"] == []


async def test_a_query_document_over_32_kib_is_refused_before_parsing(counted: Any) -> None:
    http, counting, caller = counted
    padded = "{ functions { name } }" + " " * (32 * 1024)
    refused = await _post(http, caller, padded)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "32,768 bytes" in refused["errors"][0]["message"]
    assert counting.queries <= AUTH_ONLY


async def test_fragments_spread_twice_over_are_validated_in_one_pass(counted: Any) -> None:
    http, _, caller = counted
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(29))
    bomb = f"query {{ ...F0 }} {chain} fragment F29 on Query {{ functions {{ name }} }}"
    # 2^29 walks for a limiter that follows every spread; one pass measures each fragment once.
    answered = await _post(http, caller, bomb)
    assert "errors" not in answered and len(answered["data"]["functions"]) == 7

    # A fragment that spreads itself is measured once, and refused by validation.
    cyclic = "{ ...G } fragment G on Query { ...G functions { name } }"
    refused = await _post(http, caller, cyclic)
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "G" in refused["errors"][0]["message"]


async def test_one_field_asked_for_again_and_again_is_refused_before_validation(
    counted: Any,
) -> None:
    # GraphQL's validation compares the copies of one field pairwise: quadratic in the text.
    http, counting, caller = counted
    copies = " ".join(["functions { name }"] * 1200)
    refused = await _post(http, caller, f"{{ {copies} }}")
    assert "same field 1200 times" in refused["errors"][0]["message"]
    assert counting.queries <= AUTH_ONLY
    fifty = " ".join(["functions { name }"] * 50)
    assert len((await _post(http, caller, f"{{ {fifty} }}"))["data"]["functions"]) == 7
    nested = " ".join(["name"] * 51)  # inside a field's selection too
    assert (
        "51 times"
        in (await _post(http, caller, f"{{ functions {{ {nested} }} }}"))["errors"][0]["message"]
    )
