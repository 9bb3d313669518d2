"""Benchmark e: snapshot export rate vs a raw streaming read of the same records.

``export`` consumes ``graph.snapshots.file.iter_json`` — what ``GET /api/v1/snapshots/{id}.json``
and ``commonground snapshot export`` stream — for a snapshot of the whole generated model.
``raw`` streams the same records (every belief, entity, evidence item with its bearings,
function, import and proposition) straight from the graph, one query per section through
one session, turning each record into a dict. Rates are content records per second; peak
memory is Python's (tracemalloc) while the export runs, at every size, to show it stays flat.
Creating the snapshot (reading the graph in pages, fingerprinting, compressing, writing
chunks) is timed once per size alongside. At L (``run_export_only``) the export runs once for
its rate and once for its memory, without the raw side: five raw reads of 1.1 million records
would take half an hour, and the memory is the question there.
"""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import neo4j

from bench.harness import interleaved, ratio, summary, timed_async
from graph.kit.connection import Database
from graph.snapshots import store
from graph.snapshots.file import iter_json
from schema.models import Actor
from schema.snapshots import SnapshotInfo

RAW_SECTIONS = (
    "MATCH (b:Belief)-[:ON]->(p:Proposition) RETURN b {.*, proposition_id: p.id} AS record",
    "MATCH (e:Entity) "
    "RETURN e {.*, segment_id: head([(e)-[:IN_SEGMENT]->(s:Segment) | s.id])} AS record",
    "MATCH (ev:Evidence) RETURN ev {.*, account_id: head([(ev)-[:FROM_ACCOUNT]->(a:Account) | "
    "a.id]), bears: [(ev)-[b:BEARS_ON]->(p:Proposition) | {proposition_id: p.id, "
    "stance: b.stance, strength: b.strength, magnitude: b.magnitude}]} AS record",
    "MATCH (f:Function) RETURN f {.*} AS record",
    "MATCH (i:Import) RETURN i {.id, .completed_at} AS record",
    "MATCH (p:Proposition) RETURN p {.*, subject_id: head([(p)-[:SUBJECT]->(s:Entity) | s.id]), "
    "object_id: head([(p)-[:OBJECT]->(o:Entity) | o.id])} AS record",
)

DELETE_SNAPSHOT = """
MATCH (s:Snapshot {id: $id})
OPTIONAL MATCH (s)-[:HAS_CHUNK]->(c:SnapshotChunk)
DETACH DELETE c, s
"""


async def no_figures(db: Database, as_of: datetime) -> dict[str, Any]:
    """Snapshot figures are the divergence report (benchmark b); content alone here."""
    return {}


async def raw_stream(db: Database) -> int:
    records = 0
    async with db.driver.session(
        database=db.name, default_access_mode=neo4j.READ_ACCESS
    ) as session:
        for query in RAW_SECTIONS:
            result = await session.run(query)
            async for record in result:
                record.data()
                records += 1
    return records


async def export(db: Database, snapshot_id: str) -> int:
    size = 0
    async for piece in iter_json(db, snapshot_id):
        size += len(piece)
    return size


async def peak_memory(work: Callable[[], Awaitable[Any]]) -> int:
    """Peak bytes Python allocated while ``work`` ran."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@contextlib.asynccontextmanager
async def _whole_model_snapshot(db: Database) -> AsyncIterator[tuple[SnapshotInfo, dict[str, Any]]]:
    """A snapshot of the whole model and how long creating it took; deleted afterwards."""
    created_s, (info, _) = await timed_async(
        lambda: store.create(db, Actor.system(), no_figures, as_of=datetime.now(UTC))
    )
    records = sum(info.counts.values())
    created = {
        "seconds": round(created_s, 3),
        "records_per_s": round(records / created_s),
        "runs": 1,
    }
    try:
        yield info, created
    finally:
        await db.driver.execute_query(DELETE_SNAPSHOT, id=info.id, database_=db.name)


async def run_export_only(db: Database) -> dict[str, Any]:
    """Create a snapshot of the whole model, export it once timed and once for peak memory."""
    async with _whole_model_snapshot(db) as (info, created):
        records = sum(info.counts.values())
        exported_s, file_bytes = await timed_async(lambda: export(db, info.id))
        return {
            "records": records,
            "counts": info.counts,
            "file_bytes": file_bytes,
            "export": {
                "seconds": round(exported_s, 3),
                "records_per_s": round(records / exported_s),
                "runs": 1,
            },
            "peak_python_bytes": {"export": await peak_memory(lambda: export(db, info.id))},
            "create": created,
        }


async def run(db: Database, runs: int) -> dict[str, Any]:
    async with _whole_model_snapshot(db) as (info, created):
        records = sum(info.counts.values())

        async def export_once() -> int:
            return await export(db, info.id)

        async def raw_once() -> int:
            return await raw_stream(db)

        streamed = await raw_once()
        times = await interleaved({"export": export_once, "raw": raw_once}, runs=runs, warmup=1)
        export_s = summary(times["export"])
        raw_s = summary(times["raw"])
        export_s["records_per_s"] = round(records / export_s["median_s"])
        raw_s["records_per_s"] = round(streamed / raw_s["median_s"])
        return {
            "records": records,
            "counts": info.counts,
            "file_bytes": await export_once(),
            "export": export_s,
            "raw": raw_s,
            "ratio": ratio(export_s["records_per_s"], raw_s["records_per_s"]),
            # The export's own peak. (The raw read under tracemalloc outlasts the database's
            # transaction timeout at M, and its memory is not the question.)
            "peak_python_bytes": {"export": await peak_memory(export_once)},
            "create": created,
        }
