"""Two imports of the same file at once, each through its own server process, one of them
killed with SIGKILL while it writes: the other is answered only when every row of the file is
visible, no row is written twice, and the killed import ends `interrupted`, not `running`.

Each server holds its import's rows under a lease it renews; the test shortens the lease to a
few seconds so that the rows of the killed process are taken over soon after it dies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.kit.connection import Database, fetch_one
from schema.vocabulary import Role
from tests.factories import make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, tickets_csv
from tests.reliability.conftest import Server, reaching
from tests.reliability.model import build_model

pytestmark = pytest.mark.slow

ROWS = 12_000
LEASE_S = "2"
WAIT_S = 120.0

STATE = """
MATCH (ev:Evidence)
WITH count(ev) AS items, count(DISTINCT ev.idempotency_key) AS keys,
     sum(CASE WHEN ev.import_id IS NULL OR EXISTS {
           MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at IS NOT NULL }
         THEN 1 ELSE 0 END) AS visible
RETURN items, keys, visible,
       COUNT { MATCH (i:Import) } AS imports,
       COUNT { MATCH (ev:Evidence) WHERE ev.import_id IS NOT NULL } AS written
"""


@pytest.fixture
def two_servers(neo4j_target: Any, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    env = reaching(neo4j_target.target, COMMONGROUND_IMPORT_LEASE=LEASE_S)
    servers = (Server(env, tmp_path), Server(env, tmp_path))
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            if server.alive():
                server.stop()


async def _state(db: Database) -> dict[str, int]:
    row = await db.read(fetch_one, STATE)
    assert row is not None
    return {k: int(v or 0) for k, v in row.items()}


async def _until(db: Database, check: Any, what: str) -> dict[str, int]:
    for _ in range(int(WAIT_S / 0.05)):
        state = await _state(db)
        if check(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def _import(server: Server, headers: dict[str, str], body: bytes) -> httpx.Response:
    params = {"format": "csv", "mapping": json.dumps(TICKET_MAPPING)}
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT_S) as http:
        return await http.post(
            "/api/v1/evidence:import", params=params, content=body, headers=headers
        )


@pytest.mark.parametrize("killed", ["first", "second"])
async def test_identical_imports_end_whole_when_either_process_is_killed(
    db: Database, two_servers: tuple[Server, Server], killed: str
) -> None:
    model = await build_model(db, pains=3)
    caller = await make_caller(db, "success", Role.CONTRIBUTOR)
    body = tickets_csv(model.proposition_ids, model.account_id, ROWS).encode()
    first_server, second_server = two_servers
    victim, survivor = (
        (first_server, second_server) if killed == "first" else (second_server, first_server)
    )

    first = asyncio.create_task(_import(first_server, caller.headers, body))
    await _until(db, lambda s: s["written"] > 0, "the first import to write a batch")
    second = asyncio.create_task(_import(second_server, caller.headers, body))
    await _until(db, lambda s: s["imports"] == 2, "the second import to start")
    assert not first.done(), "the first import ended before the second began"
    victim.process.kill()  # type: ignore[union-attr]
    victim.process.wait(timeout=30)  # type: ignore[union-attr]

    answered = await (second if victim is first_server else first)
    at_answer = await _state(db)
    assert answered.status_code == 200, answered.text
    summary = answered.json()
    assert summary["status"] == "complete"
    assert at_answer["visible"] == ROWS  # every row of the file, visible when it was answered
    assert at_answer["items"] == at_answer["keys"] == ROWS  # none written twice
    with pytest.raises(httpx.TransportError):
        await (first if victim is first_server else second)

    # The killed import reads `interrupted` once its lease has run out (LEASE_S after its
    # last renewal): the survivor may finish before then, so ask until it does, bounded.
    ids = await db.read(fetch_one, "MATCH (i:Import) RETURN collect(i.id) AS ids")
    assert ids is not None
    async with httpx.AsyncClient(base_url=survivor.url, timeout=30) as http:
        for _ in range(int(WAIT_S / 0.25)):
            statuses = sorted(
                [
                    (await http.get(f"/api/v1/imports/{i}", headers=caller.headers)).json()[
                        "status"
                    ]
                    for i in ids["ids"]
                ]
            )
            if statuses != ["complete", "running"]:
                break
            await asyncio.sleep(0.25)
    assert statuses == ["complete", "interrupted"]
