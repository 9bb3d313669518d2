"""Benchmark a: bulk evidence import through REST and GraphQL vs a raw driver ``UNWIND``.

The same rows three ways, each run writing new items that are deleted again afterwards:

- ``rest``: ``POST /api/v1/evidence:import`` with a JSON Lines body (validated whole, then
  written in batches under an import id; every row keyed by a hash of its content);
- ``graphql``: one ``addEvidence`` mutation carrying every item, each with an
  idempotency key;
- ``graphql_file``: one ``importEvidence`` mutation carrying the REST body as one string
  (the same import as REST, for tools that speak only GraphQL);
- ``raw``: ``UNWIND $rows`` through ``driver.execute_query`` in batches of the import's size,
  creating the same nodes, properties and relationships (keys included, so the uniqueness
  constraint is checked alike) and nothing else: the query restore writes evidence with.

Throughput is items per second; the ratio is product throughput / raw throughput.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import neo4j
import orjson

from bench.generate import SIZES, Size, member_id, segment_world
from bench.harness import ratio, summary, timed_async
from graph.imports.writing import BATCH_SIZE
from graph.kit.connection import Database
from graph.snapshots.restore import RESTORE_EVIDENCE

ITEMS = 5000

DELETE_BY_IDS = "UNWIND $ids AS id MATCH (ev:Evidence {id: id}) DETACH DELETE ev"
DELETE_IMPORT = """
MATCH (ev:Evidence {import_id: $import_id}) DETACH DELETE ev
WITH count(*) AS deleted
MATCH (i:Import {id: $import_id}) DELETE i
"""

ADD_EVIDENCE = """
mutation Add($input: [EvidenceInput!]!) {
  addEvidence(input: $input) { created items { id } }
}
"""

IMPORT_EVIDENCE = """
mutation Import($data: String!) {
  importEvidence(data: $data, format: JSONL) { importId created }
}
"""


def items(size: Size, tag: str, count: int | None = None) -> list[dict[str, Any]]:
    """``count`` new evidence rows spread over the size's segments, unique to ``tag``."""
    rng = random.Random(f"import|{tag}")
    worlds = [segment_world(k) for k in range(min(size.segments, 10))]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(ITEMS if count is None else count):
        world = worlds[n % len(worlds)]
        proposition = rng.choice(world.propositions)
        rows.append(
            {
                "summary": f"imported {tag} {n}: customers asked about scheduled exports",
                "source_type": rng.choice(("support_ticket", "interview", "survey")),
                "proposition_id": proposition["id"],
                "stance": "SUPPORTS" if rng.random() < 0.6 else "CONTRADICTS",
                "strength": rng.choice((0.4, 0.7, 1.0)),
                "observed_at": (start + timedelta(minutes=n)).isoformat(),
                "account_id": rng.choice(world.accounts),
                "source_ref": f"bench-import-{tag}-{n}",
                "key": f"bench-{tag}-{n}",
            }
        )
    return rows


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(
        orjson.dumps({k: v for k, v in row.items() if k != "key"}) + b"\n" for row in rows
    )


def graphql_input(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "sourceType": r["source_type"],
            "summary": r["summary"],
            "sourceRef": r["source_ref"],
            "observedAt": r["observed_at"],
            "accountId": r["account_id"],
            "idempotencyKey": r["key"],
            "bears": [
                {
                    "propositionId": r["proposition_id"],
                    "stance": r["stance"],
                    "strength": r["strength"],
                }
            ],
        }
        for r in rows
    ]


def raw_rows(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    function = "product"
    return [
        {
            "props": {
                "id": f"ev-{uuid.uuid4().hex[:16]}",
                "source_type": r["source_type"],
                "summary": r["summary"],
                "source_ref": r["source_ref"],
                "observed_at": datetime.fromisoformat(r["observed_at"]),
                "recorded_at": now,
                "recorded_by": member_id(function),
                "function": function,
                "account_id": r["account_id"],
                "idempotency_key": r["key"],
                "import_id": None,
            },
            "bears": [
                {
                    "proposition_id": r["proposition_id"],
                    "stance": r["stance"],
                    "strength": r["strength"],
                    "magnitude": None,
                }
            ],
        }
        for r in rows
    ]


async def _write(db: Database, query: str, **parameters: Any) -> None:
    await db.driver.execute_query(
        query, parameters, database_=db.name, routing_=neo4j.RoutingControl.WRITE
    )


async def run(db: Database, base_url: str, token: str, size_name: str, runs: int) -> dict[str, Any]:
    size = SIZES[size_name]
    times: dict[str, list[float]] = {"rest": [], "graphql": [], "graphql_file": [], "raw": []}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=600.0) as http:

        async def rest(tag: str) -> None:
            body = jsonl(items(size, tag))
            elapsed, response = await timed_async(
                lambda: http.post(
                    "/api/v1/evidence:import",
                    params={"format": "jsonl"},
                    content=body,
                    headers={"content-type": "application/x-ndjson"},
                )
            )
            response.raise_for_status()
            result = response.json()
            await _write(db, DELETE_IMPORT, import_id=result["import_id"])
            if result["created"] != ITEMS:
                raise RuntimeError(f"the REST import wrote {result['created']} of {ITEMS}")
            times["rest"].append(elapsed)

        async def graphql(tag: str) -> None:
            variables = {"input": graphql_input(items(size, tag))}
            elapsed, response = await timed_async(
                lambda: http.post("/graphql", json={"query": ADD_EVIDENCE, "variables": variables})
            )
            response.raise_for_status()
            body = response.json()
            if "errors" in body:
                raise RuntimeError(f"addEvidence failed: {body['errors'][:2]}")
            ids = [item["id"] for item in body["data"]["addEvidence"]["items"]]
            await _write(db, DELETE_BY_IDS, ids=ids)
            if len(ids) != ITEMS:
                raise RuntimeError(f"addEvidence wrote {len(ids)} of {ITEMS}")
            times["graphql"].append(elapsed)

        async def graphql_file(tag: str) -> None:
            variables = {"data": jsonl(items(size, tag)).decode()}
            elapsed, response = await timed_async(
                lambda: http.post(
                    "/graphql", json={"query": IMPORT_EVIDENCE, "variables": variables}
                )
            )
            response.raise_for_status()
            body = response.json()
            if "errors" in body:
                raise RuntimeError(f"importEvidence failed: {body['errors'][:2]}")
            result = body["data"]["importEvidence"]
            await _write(db, DELETE_IMPORT, import_id=result["importId"])
            if result["created"] != ITEMS:
                raise RuntimeError(f"importEvidence wrote {result['created']} of {ITEMS}")
            times["graphql_file"].append(elapsed)

        async def raw(tag: str) -> None:
            rows = raw_rows(items(size, tag), datetime.now(UTC))

            async def write_all() -> None:
                for start in range(0, len(rows), BATCH_SIZE):
                    await _write(db, RESTORE_EVIDENCE, rows=rows[start : start + BATCH_SIZE])

            elapsed, _ = await timed_async(write_all)
            times["raw"].append(elapsed)
            await _write(db, DELETE_BY_IDS, ids=[r["props"]["id"] for r in rows])

        contenders = {
            "rest": rest,
            "graphql": graphql,
            "graphql_file": graphql_file,
            "raw": raw,
        }
        for name, work in contenders.items():  # warm-up, not timed
            await work(f"warm-{name}-{uuid.uuid4().hex[:6]}")
        for key in times:
            times[key].clear()
        for round_ in range(runs):
            for name, work in contenders.items():
                await work(f"{name}-{round_}-{uuid.uuid4().hex[:6]}")

    raw_s = summary(times["raw"])
    result: dict[str, Any] = {"items": ITEMS, "batch": BATCH_SIZE, "raw": raw_s}
    result["raw"]["items_per_s"] = round(ITEMS / raw_s["median_s"])
    for name in ("rest", "graphql", "graphql_file"):
        stats = summary(times[name])
        stats["items_per_s"] = round(ITEMS / stats["median_s"])
        result[name] = stats
        # Throughput ratio: product items/s over raw items/s (target >= 0.8).
        result[f"{name}_ratio"] = ratio(raw_s["median_s"], stats["median_s"])
    return result
