"""Benchmark: writing evidence in batches of 500, four ways, against a plain ``UNWIND``.

``python -m bench.add_evidence --data-dir DIR [--runs 5] [--batches 4] [--output FILE]``

On a database grown by ``bench.generate`` (started here if it is not running), taking turns
in the same run, each run writing ``--batches`` batches of 500 new items one after another
(one bearing and one account each, the rows of benchmark a) and deleting them again:

- ``raw``: ``UNWIND $rows`` through ``driver.execute_query`` creating the same properties
  (times sent as ISO text, made ``DATETIME`` in the statement) and the ``BEARS_ON``
  relationships, and nothing else: no ``FROM_ACCOUNT`` link, no validation, no lock, no
  audit entry, no model version, nothing read back;
- ``graph``: ``graph.evidence.add`` in one write transaction per batch (the graph layer's
  write, without the GraphQL answer), the items already validated ``EvidenceCreate``s;
- ``graphql``: the ``addEvidence`` mutation over HTTP to a uvicorn process, asking back
  ``created items { id }``;
- ``statements``: the graph layer's own three statements (the batch's check, its write,
  the audit entry with the model version's bump) sent through the driver in one write
  transaction, their parameters made beforehand, untimed: what the storage shape costs the
  database with no Python at all, the ceiling of any API writing it.

Each of ``graph``, ``graphql`` and ``statements`` runs twice: with an ``idempotencyKey`` per
item (``keyed``, a ``MERGE`` on the key) and without (``unkeyed``, a ``CREATE``); ``raw``
writes the key property too in the keyed runs, so the uniqueness constraint is checked alike.
Throughput is items per second; each ratio is product items/s over raw items/s of the
same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import neo4j

from bench.generate import SIZES, connect, member_id
from bench.harness import (
    api_server,
    bench_token,
    ratio,
    report,
    summary,
    timed_async,
)
from bench.import_bulk import graphql_input, items
from bench.run import start_database
from graph import evidence, members
from graph.evidence import writing
from graph.kit.connection import Database
from schema.models import Actor, BearingCreate, EvidenceCreate

BATCH = 500
FUNCTION = "product"

# Times go as ISO text made DATETIME in the statement: the fastest plain way to store the
# same values (the driver packs a Python datetime at ~0.1-0.2 ms; docs/benchmarks.md, a).
RAW_CREATE = """
UNWIND $rows AS row
CREATE (ev:Evidence)
SET ev = row.props, ev.observed_at = datetime(row.observed_at),
    ev.recorded_at = datetime(row.recorded_at)
WITH ev, row
UNWIND row.bears AS b
MATCH (p:Proposition {id: b.proposition_id})
CREATE (ev)-[:BEARS_ON {stance: b.stance, strength: b.strength, magnitude: b.magnitude}]->(p)
"""

DELETE_BY_IDS = "UNWIND $ids AS id MATCH (ev:Evidence {id: id}) DETACH DELETE ev"

ADD_EVIDENCE = """
mutation Add($input: [EvidenceInput!]!) {
  addEvidence(input: $input) { created items { id } }
}
"""


def raw_rows(rows: list[dict[str, Any]], now: datetime, keyed: bool) -> list[dict[str, Any]]:
    return [
        {
            "observed_at": r["observed_at"],
            "recorded_at": now.isoformat(),
            "props": {
                "id": f"ev-{uuid.uuid4().hex[:16]}",
                "source_type": r["source_type"],
                "summary": r["summary"],
                "source_ref": r["source_ref"],
                "recorded_by": member_id(FUNCTION),
                "function": FUNCTION,
                "account_id": r["account_id"],
                "idempotency_key": f"{FUNCTION}:{r['key']}" if keyed else None,
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


def creates(rows: list[dict[str, Any]], keyed: bool) -> list[EvidenceCreate]:
    return [
        EvidenceCreate(
            source_type=r["source_type"],
            summary=r["summary"],
            source_ref=r["source_ref"],
            observed_at=datetime.fromisoformat(r["observed_at"]),
            account_id=r["account_id"],
            idempotency_key=r["key"] if keyed else None,
            bears=[
                BearingCreate(
                    proposition_id=r["proposition_id"], stance=r["stance"], strength=r["strength"]
                )
            ],
        )
        for r in rows
    ]


def statements(
    actor: Actor, batch: list[EvidenceCreate], now: datetime, keyed: bool
) -> list[tuple[str, dict[str, Any]]]:
    """The statements ``evidence.add`` sends for ``batch``, with their parameters (no item
    names a merged proposition or carries a source key, as in ``items``)."""
    check = writing.check_parameters(batch)
    as_given = {pid: pid for pid in check["ids"]}
    rows = [
        evidence.prepare_row(n, item, as_given, actor, now, None) for n, item in enumerate(batch)
    ]
    for row in rows:
        row["props"]["source_key"] = None
        del row["source_key"]
    write: tuple[str, dict[str, Any]] = (
        (writing.MERGE_EVIDENCE, {"rows": rows, "marker": uuid.uuid4().hex})
        if keyed
        else (writing.CREATE_EVIDENCE, {"rows": rows})
    )
    created = [row["props"]["id"] for row in rows]
    return [
        (writing.CHECK_BATCH, check),
        write,
        writing.batch_audit(actor, rows, created, now),
    ]


async def _run_statements(
    tx: neo4j.AsyncManagedTransaction, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    for query, parameters in batch:
        await (await tx.run(query, parameters)).consume()


async def _write(db: Database, query: str, **parameters: Any) -> None:
    await db.driver.execute_query(
        query, parameters, database_=db.name, routing_=neo4j.RoutingControl.WRITE
    )


async def run(db: Database, base_url: str, token: str, runs: int, batches: int) -> dict[str, Any]:
    size = SIZES["S"]
    total = BATCH * batches
    found = await db.read(members.require, member_id(FUNCTION))
    actor = Actor(member_id=found.id, name=found.name, function=found.function, role=found.role)
    written: list[str] = []  # deleted after each timed run, outside the timing

    def tag() -> str:
        return uuid.uuid4().hex[:10]

    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600.0
    ) as http:

        def contenders(keyed: bool) -> dict[str, Any]:
            """Each contender's work: made ready (inputs built) untimed, then the timed write."""

            def raw() -> Any:
                rows = raw_rows(items(size, tag(), total), datetime.now(UTC), keyed)

                async def write() -> None:
                    for start in range(0, total, BATCH):
                        await _write(db, RAW_CREATE, rows=rows[start : start + BATCH])
                    written.extend(r["props"]["id"] for r in rows)

                return write

            def graph() -> Any:
                batch_items = creates(items(size, tag(), total), keyed)

                async def write() -> None:
                    for start in range(0, total, BATCH):
                        now = datetime.now(UTC)
                        done = await db.write(
                            evidence.add, actor, batch_items[start : start + BATCH], now
                        )
                        written.extend(i for i, _ in done)

                return write

            def graphql() -> Any:
                variables = graphql_input(items(size, tag(), total))
                if not keyed:
                    for v in variables:
                        v["idempotencyKey"] = None
                bodies = [
                    {"query": ADD_EVIDENCE, "variables": {"input": variables[s : s + BATCH]}}
                    for s in range(0, total, BATCH)
                ]

                async def write() -> None:
                    for body in bodies:
                        response = await http.post("/graphql", json=body)
                        response.raise_for_status()
                        answer = response.json()
                        if "errors" in answer:
                            raise RuntimeError(f"addEvidence failed: {answer['errors'][:2]}")
                        payload = answer["data"]["addEvidence"]
                        ids = [i["id"] for i in payload["items"]]
                        if payload["created"] != BATCH or len(ids) != BATCH:
                            raise RuntimeError("addEvidence did not write the whole batch")
                        written.extend(ids)

                return write

            def shape() -> Any:
                batch_items = creates(items(size, tag(), total), keyed)
                now = datetime.now(UTC)
                batches = [
                    statements(actor, batch_items[start : start + BATCH], now, keyed)
                    for start in range(0, total, BATCH)
                ]

                async def write() -> None:
                    for batch in batches:
                        async with db.driver.session(database=db.name) as session:
                            await session.execute_write(_run_statements, batch)
                        written.extend(row["props"]["id"] for row in batch[1][1]["rows"])

                return write

            return {"raw": raw, "graph": graph, "graphql": graphql, "statements": shape}

        results: dict[str, Any] = {"batch": BATCH, "items_per_run": total}
        for keyed in (False, True):
            label = "keyed" if keyed else "unkeyed"
            times: dict[str, list[float]] = {}
            for round_ in range(runs + 1):  # the first round warms up, untimed
                for name, make in contenders(keyed).items():
                    elapsed, _ = await timed_async(make())
                    if round_:
                        times.setdefault(name, []).append(elapsed)
                    await _write(db, DELETE_BY_IDS, ids=written)
                    written.clear()
            stats = {name: summary(values) for name, values in times.items()}
            for s in stats.values():
                s["items_per_s"] = round(total / s["median_s"])
            raw_s = stats["raw"]["median_s"]
            results[label] = {
                **stats,
                "graph_ratio": ratio(raw_s, stats["graph"]["median_s"]),
                "graphql_ratio": ratio(raw_s, stats["graphql"]["median_s"]),
                "statements_ratio": ratio(raw_s, stats["statements"]["median_s"]),
            }
            print(label, json.dumps(results[label]), flush=True)
    return results


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    db = connect(args.data_dir)
    try:
        token = await bench_token(db, member_id(FUNCTION))
        with api_server(args.data_dir) as base_url:
            return await run(db, base_url, token, args.runs, args.batches)
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cg-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    start_database(args.data_dir)
    return report("add-evidence", args.output, lambda: asyncio.run(_main(args)), note=args.note)


if __name__ == "__main__":
    sys.exit(main())
