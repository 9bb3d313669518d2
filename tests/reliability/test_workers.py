"""`commonground serve --workers N`: several processes answer on one port.

Each worker keeps its own copy of the shared model; whichever worker answers a read, it
counts every write made before it, through whichever worker took the write. Ctrl-C stops
them all.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.api.graphql.test_shared_model import ADD_EVIDENCE, GAPS, STATE_BELIEF, _interviews
from tests.factories import gql, make_caller, small_model
from tests.reliability.conftest import Server, reaching, wait_for

if TYPE_CHECKING:  # imported for the annotation only: pytest would try to collect it
    from tests.conftest import TestDatabase

WORKERS = 2
STARTED = re.compile(r"Started server process \[(\d+)\]")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_every_worker_reads_what_any_worker_wrote_and_ctrl_c_stops_them_all(
    db: Database, neo4j_target: TestDatabase, tmp_path: Path
) -> None:
    model = await small_model(db, account=None, pains=1)
    (pain,) = model.experiences
    sales = await make_caller(db, "sales", Role.CONTRIBUTOR)
    server = Server(reaching(neo4j_target.target), tmp_path, workers=WORKERS)
    server.start()
    try:
        # Ready means one worker answers; wait until every worker says it started.
        wait_for(
            lambda: len(set(STARTED.findall(server.log_tail(200)))) >= WORKERS,
            60,
            "both workers started",
        )
        workers = {int(pid) for pid in STARTED.findall(server.log_tail(200))}
        assert len(workers) == WORKERS and server.pid not in workers

        # A connection per request, so that the kernel spreads them over the workers.
        async def gaps() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                body = await gql(http, sales, GAPS, segment=model.segment_id)
            assert "errors" not in body, body
            found: dict[str, Any] = body["data"]["divergences"]  # type: ignore[index]
            return found

        for _ in range(6):  # every worker holds the model: no belief, no gap
            assert (await gaps())["totalCount"] == 0
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            stated = await gql(http, sales, STATE_BELIEF, i={"propositionId": pain, "p": 0.1})
            assert "errors" not in stated, stated
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            added = await gql(http, sales, ADD_EVIDENCE, i=_interviews(pain, 4))
            assert "errors" not in added, added
        for _ in range(6):  # whichever worker answers counts the belief and all four items
            seen = await gaps()
            assert seen["totalCount"] == 1
            row = seen["edges"][0]["node"]
            assert row["p"] == 0.1 and row["evidence"]["evidenceCount"] == 4
    finally:
        server.stop()
    assert not server.alive()
    wait_for(lambda: not any(_alive(pid) for pid in workers), 30, "the workers to exit")
