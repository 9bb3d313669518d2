"""Crash durability: kill -9 the database in the middle of a 10,000-item import.

The client sends the items to a real server (GraphQL ``addEvidence`` over HTTP) in batches,
each item with an idempotency key, two batches in flight. After a dozen batches are
acknowledged the database is killed with SIGKILL while the next ones are being written; the
client keeps going (those batches are refused), the database is started again, and the client
resends every batch it has no acknowledgement for. Then: every acknowledged item is present
under the id it was acknowledged with, no key was written twice, and no relationship or node
was left half-written.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import httpx
import pytest

from graph.kit import local_neo4j
from graph.kit.connection import Database, fetch_one
from schema.vocabulary import Role
from tests.factories import make_caller
from tests.reliability.conftest import (
    READY_WAIT_S,
    OwnDatabase,
    Server,
    fresh_graph,
)
from tests.reliability.model import build_model

pytestmark = pytest.mark.slow

ITEMS = 10_000
BATCH = 250
BATCHES = ITEMS // BATCH
IN_FLIGHT = 2
KILL_AFTER_ACKS = 12
RESEND_ROUNDS = 5

ADD_EVIDENCE = """
mutation Add($input: [EvidenceInput!]!) {
  addEvidence(input: $input) { created alreadyPresent items { id } }
}
"""

ITEM_COUNTS = """
MATCH (ev:Evidence) WHERE ev.idempotency_key STARTS WITH 'success:crash-'
RETURN count(ev) AS items, count(DISTINCT ev.idempotency_key) AS keys
"""

ACKNOWLEDGED_PRESENT = """
UNWIND $pairs AS pair
OPTIONAL MATCH (ev:Evidence {idempotency_key: 'success:' + pair.key})
RETURN sum(CASE WHEN ev.id = pair.id THEN 1 ELSE 0 END) AS present
"""

ORPHANS = """
RETURN
  COUNT { MATCH (ev:Evidence) WHERE NOT (ev)-[:BEARS_ON]->(:Proposition) } AS unlinked_evidence,
  COUNT { MATCH (:Evidence)-[:BEARS_ON]->(x) WHERE NOT x:Proposition } AS bearings_to_nothing,
  COUNT { MATCH (:Evidence)-[:BEARS_ON]->(:Proposition) } AS bearings,
  COUNT { MATCH (:Evidence)-[:FROM_ACCOUNT]->(:Account) } AS account_links,
  COUNT { MATCH (ev:Evidence) WHERE ev.account_id IS NOT NULL
          AND NOT (ev)-[:FROM_ACCOUNT]->(:Account {id: ev.account_id}) } AS unlinked_accounts,
  COUNT { MATCH (ev:Evidence)-[b:BEARS_ON]->(:Proposition)
          WITH ev, count(b) AS n WHERE n > 2 } AS overlinked_evidence
"""


def item(index: int, proposition_ids: list[str], account_id: str) -> dict[str, Any]:
    """Item ``index``: every third from the account, every fifth bearing on two propositions."""
    first = proposition_ids[index % len(proposition_ids)]
    bears: list[dict[str, Any]] = [
        {"propositionId": first, "stance": "SUPPORTS" if index % 4 else "CONTRADICTS"}
    ]
    if index % 5 == 0:
        second = proposition_ids[(index + 1) % len(proposition_ids)]
        bears.append({"propositionId": second, "stance": "SUPPORTS", "strength": 0.5})
    return {
        "sourceType": "support_ticket",
        "summary": f"Ticket {index}: the numbers did not match the export",
        "sourceRef": f"T-{index}",
        "accountId": account_id if index % 3 == 0 else None,
        "idempotencyKey": f"crash-{index:05d}",
        "bears": bears,
    }


def expected_bearings() -> int:
    return ITEMS + len([i for i in range(ITEMS) if i % 5 == 0])


def expected_account_links() -> int:
    return len([i for i in range(ITEMS) if i % 3 == 0])


class ImportClient:
    """Sends batches; remembers which were acknowledged and the ids they were given."""

    def __init__(
        self, http: httpx.AsyncClient, token: str, batches: list[list[dict[str, Any]]]
    ) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.batches = batches
        self.acknowledged: dict[int, dict[str, str]] = {}  # batch -> {key: id}
        self.refusals: list[tuple[int, int, str | None]] = []  # (batch, status, Retry-After)
        self.resent_already_present = 0

    async def send(self, n: int) -> bool:
        payload = {"query": ADD_EVIDENCE, "variables": {"input": self.batches[n]}}
        try:
            response = await self.http.post("/graphql", json=payload, headers=self.headers)
        except httpx.TransportError:
            self.refusals.append((n, 0, None))
            return False
        body = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or body.get("errors"):
            self.refusals.append((n, response.status_code, response.headers.get("retry-after")))
            return False
        result = body["data"]["addEvidence"]
        items = result["items"]
        assert len(items) == len(self.batches[n])
        assert result["created"] + result["alreadyPresent"] == len(items)
        self.resent_already_present += result["alreadyPresent"]
        self.acknowledged[n] = {
            sent["idempotencyKey"]: got["id"]
            for sent, got in zip(self.batches[n], items, strict=True)
        }
        return True

    async def send_all(self, numbers: list[int], on_ack: Any = None) -> list[int]:
        """Send the batches, ``IN_FLIGHT`` at a time; return those not acknowledged."""
        queue = deque(numbers)
        failed: list[int] = []

        async def worker() -> None:
            while queue:
                n = queue.popleft()
                if await self.send(n):
                    if on_ack is not None:
                        on_ack()
                else:
                    failed.append(n)

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return sorted(failed)


async def wait_until_ready(http: httpx.AsyncClient) -> None:
    for _ in range(int(READY_WAIT_S / 0.25)):
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise AssertionError("the server did not become ready again after the database restarted")


async def test_acknowledged_items_survive_kill_9_and_resending_writes_no_duplicates(
    own_db: OwnDatabase, own_server: Server
) -> None:
    own_db.ensure_running()
    own_server.wait_ready()
    db = own_db.connect()
    try:
        await fresh_graph(db)
        model = await build_model(db, pains=3)
        caller = await make_caller(db, "success", Role.CONTRIBUTOR)
    finally:
        await db.close()
    props = model.proposition_ids
    batches = [
        [item(i, props, model.account_id) for i in range(n * BATCH, (n + 1) * BATCH)]
        for n in range(BATCHES)
    ]
    server_pid = own_server.pid
    killed: dict[str, Any] = {}

    async with httpx.AsyncClient(base_url=own_server.url, timeout=120.0) as http:
        client = ImportClient(http, caller.token, batches)

        def kill_once_enough_are_acknowledged() -> None:
            if not killed and len(client.acknowledged) >= KILL_AFTER_ACKS:
                # The other batch in flight is being written right now.
                own_db.kill()
                killed["acknowledged"] = dict(client.acknowledged)
                # `kill` returns once the database has let go of its port and store.
                killed["port_free"] = local_neo4j.port_free(own_db.port)

        try:
            missing = await client.send_all(list(range(BATCHES)), kill_once_enough_are_acknowledged)
        finally:
            own_db.ensure_running()
        assert killed, "the database was never killed"
        assert killed["port_free"], "kill returned while the old process still held the port"
        assert missing, "no batch was refused while the database was down"
        # Refused while down: 503 with Retry-After, never a hang or a 500.
        assert {status for _, status, _ in client.refusals} == {503}, client.refusals
        assert all(retry_after for _, _, retry_after in client.refusals)

        # The same server process serves again once the database is back.
        await wait_until_ready(http)
        for _ in range(RESEND_ROUNDS):
            if not missing:
                break
            missing = await client.send_all(missing)
        assert not missing, f"batches never acknowledged: {missing}"
        assert own_server.alive() and own_server.pid == server_pid

    db = own_db.connect()
    try:
        await check_graph(db, client, killed["acknowledged"])
    finally:
        await db.close()


async def check_graph(
    db: Database, client: ImportClient, before_kill: dict[int, dict[str, str]]
) -> None:
    counts = await db.read(fetch_one, ITEM_COUNTS)
    assert counts == {"items": ITEMS, "keys": ITEMS}, "an item is missing or was written twice"

    # Acknowledged before the crash: present under the very id the client was given.
    pairs = [{"key": k, "id": v} for batch in before_kill.values() for k, v in batch.items()]
    present = await db.read(fetch_one, ACKNOWLEDGED_PRESENT, pairs=pairs)
    assert present == {"present": len(pairs)}
    # And every acknowledgement, before or after the crash.
    pairs = [
        {"key": k, "id": v} for batch in client.acknowledged.values() for k, v in batch.items()
    ]
    assert len(pairs) == ITEMS
    present = await db.read(fetch_one, ACKNOWLEDGED_PRESENT, pairs=pairs)
    assert present == {"present": ITEMS}

    orphans = await db.read(fetch_one, ORPHANS)
    assert orphans == {
        "unlinked_evidence": 0,
        "bearings_to_nothing": 0,
        "bearings": expected_bearings(),
        "account_links": expected_account_links(),
        "unlinked_accounts": 0,
        "overlinked_evidence": 0,
    }
