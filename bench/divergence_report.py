"""Benchmark b: the full divergence report vs the same Cypher through ``driver.execute_query``.

``product`` is what the API, the CLI and snapshots do: ``load_picture`` (its queries in one
read transaction, records turned into the engine's models) and then ``segment_report`` (every
query of docs/design.md §2 over the picture, bootstrap interval included). ``raw`` runs the same
Cypher with the same parameters through ``driver.execute_query`` and keeps the records.
"One segment" is the first generated segment; "all segments" is the whole model's report.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import neo4j

from bench.harness import interleaved, ratio, summary
from graph.beliefs import CURRENT_FUNCTION_BELIEFS
from graph.divergence import EngineSettings, load_picture, segment_report
from graph.divergence.picture import SCOPE_IDS, VISIBLE_PROPOSITIONS
from graph.entities import GET_ENTITY
from graph.functions import LIST_FUNCTIONS
from graph.kit.connection import Database
from graph.support import EVIDENCE_IDS_LIMIT, SUPPORT_BY_PROPOSITION
from schema.divergence import SegmentReport

ONE_SEGMENT = "seg-b000"


async def product_report(
    db: Database, settings: EngineSettings, as_of: datetime, segment_id: str | None
) -> SegmentReport:
    picture = await db.read(load_picture, settings, as_of=as_of, segment_id=segment_id)
    return segment_report(picture)


async def raw_queries(
    db: Database, settings: EngineSettings, as_of: datetime, segment_id: str | None
) -> int:
    """The Cypher of ``load_picture``, one ``execute_query`` each; returns the record count."""

    async def query(text: str, **parameters: Any) -> list[neo4j.Record]:
        records, _, _ = await db.driver.execute_query(
            text, parameters, database_=db.name, routing_=neo4j.RoutingControl.READ
        )
        return records

    fetched = 0
    if segment_id is not None:
        fetched += len(await query(GET_ENTITY, id=segment_id, as_of=as_of))
        fetched += len(await query(SCOPE_IDS, segment_id=segment_id, as_of=as_of))
    visible = await query(VISIBLE_PROPOSITIONS, as_of=as_of)
    fetched += len(visible)
    fetched += len(
        await query(
            SUPPORT_BY_PROPOSITION,
            segment_id=None,
            as_of=as_of,
            reliability=settings.reliability,
            half_life_days=settings.half_life_days,
            ids_limit=EVIDENCE_IDS_LIMIT,
        )
    )
    ids = [r["id"] for r in visible[0]["rows"]]
    fetched += len(
        await query(CURRENT_FUNCTION_BELIEFS, proposition_ids=ids, as_of=as_of, function=None)
    )
    fetched += len(await query(LIST_FUNCTIONS))
    return fetched


async def report_python_share(
    db: Database, settings: EngineSettings, as_of: datetime, segment_id: str | None
) -> dict[str, float]:
    """Where the product's time goes: loading the picture vs computing the report."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    picture = await db.read(load_picture, settings, as_of=as_of, segment_id=segment_id)
    loaded = loop.time()
    segment_report(picture)
    done = loop.time()
    return {
        "load_picture_s": round(loaded - started, 4),
        "segment_report_s": round(done - loaded, 4),
    }


async def run(db: Database, runs: int, *, evidence: int) -> dict[str, Any]:
    settings = EngineSettings()
    as_of = datetime.now(UTC)
    results: dict[str, Any] = {"evidence": evidence}
    for label, segment_id in (("one segment", ONE_SEGMENT), ("all segments", None)):

        async def product(segment_id: str | None = segment_id) -> Any:
            return await product_report(db, settings, as_of, segment_id)

        async def raw(segment_id: str | None = segment_id) -> Any:
            return await raw_queries(db, settings, as_of, segment_id)

        times = await interleaved({"product": product, "raw": raw}, runs=runs, warmup=1)
        product_s = summary(times["product"])
        raw_s = summary(times["raw"])
        results[label] = {
            "product": product_s,
            "raw": raw_s,
            "ratio": ratio(product_s["median_s"], raw_s["median_s"]),
            "split": await report_python_share(db, settings, as_of, segment_id),
            "product_us_per_evidence": round(product_s["median_s"] / evidence * 1e6, 2),
        }
    return results
