"""Benchmark: the shared model a process keeps against reading the model from scratch.

``python -m bench.shared_model --data-dir DIR [--runs 5] [--writes 5] [--output FILE]``

On a database already grown by ``bench.generate`` (started here if it is not running), taking
turns in the same run:

- ``cold``: the first read of the shared model by a new process (everything is read once);
- ``picture``: the model as of now, from scratch (``load_picture``) against the kept copy
  (``SharedModel.picture``), for one segment and for the whole model;
- ``report``: the same plus the divergence report over it (``segment_report``, every query of
  the design's §2, bootstrap included);
- ``after a write``: one evidence item written through the product (``evidence.add``, which
  stamps what it changed), then the next one-segment report through the kept copy — the first
  request after a write. The items are retracted again afterwards, so the dataset is left as
  it was for the figures (the retractions stay in its history).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.divergence_report import ONE_SEGMENT
from bench.generate import connect
from bench.harness import interleaved, ratio, report, summary
from bench.run import start_database
from graph import evidence, model_version
from graph.divergence import EngineSettings, SharedModel, load_picture, segment_report
from graph.kit.connection import Database, fetch_one
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.vocabulary import Stance

SIZE = """
MATCH (ev:Evidence) WITH count(ev) AS evidence
MATCH (p:Proposition) WITH evidence, count(p) AS propositions
MATCH (b:Belief) RETURN evidence, propositions, count(b) AS beliefs
"""
A_PROPOSITION = """
MATCH (p:Proposition)-[:SUBJECT]->(:Segment {id: $segment}) RETURN p.id AS id ORDER BY id LIMIT 1
"""


async def _after_writes(
    db: Database, shared: SharedModel, settings: EngineSettings, writes: int
) -> dict[str, Any]:
    row = await db.read(fetch_one, A_PROPOSITION, segment=ONE_SEGMENT)
    assert row is not None, "the benchmark needs the generated segment " + ONE_SEGMENT
    actor = Actor.system()
    times, written = [], []
    for n in range(writes):
        now = datetime.now(UTC)
        item = EvidenceCreate(
            source_type="interview",
            summary=f"benchmark write {n}",
            observed_at=now,
            bears=[BearingCreate(proposition_id=row["id"], stance=Stance.SUPPORTS, strength=0.7)],
        )
        written += [i for i, _ in await db.write(evidence.add, actor, [item], now)]
        started = time.perf_counter()
        picture = await shared.picture(settings, as_of=datetime.now(UTC), segment_id=ONE_SEGMENT)
        segment_report(picture)
        times.append(time.perf_counter() - started)
        assert picture.support[row["id"]].evidence_ids[0] in written  # the write is seen
    for item_id in written:
        await db.write(evidence.retract, actor, item_id, "benchmark write", datetime.now(UTC))
    return summary(times)


WARMUP = 1


def _cpu_timed(
    work: Callable[[], Awaitable[Any]], spent: list[float]
) -> Callable[[], Awaitable[Any]]:
    """``work``, noting the CPU time this process spends on each call in ``spent``."""

    async def timed() -> Any:
        started = time.process_time()
        try:
            return await work()
        finally:
            spent.append(time.process_time() - started)

    return timed


async def run(db: Database, runs: int, writes: int) -> dict[str, Any]:
    settings = EngineSettings()
    await db.write(model_version.ensure_counters)
    size = await db.read(fetch_one, SIZE)
    results: dict[str, Any] = {"dataset": size}
    shared = SharedModel(db)
    started = time.perf_counter()
    await shared.current()
    results["cold_s"] = round(time.perf_counter() - started, 3)
    for label, segment_id in (("one segment", ONE_SEGMENT), ("whole model", None)):

        async def full_picture(segment_id: str | None = segment_id) -> Any:
            as_of = datetime.now(UTC)
            return await db.read(load_picture, settings, as_of=as_of, segment_id=segment_id)

        async def kept_picture(segment_id: str | None = segment_id) -> Any:
            return await shared.picture(settings, as_of=datetime.now(UTC), segment_id=segment_id)

        async def full_report(segment_id: str | None = segment_id) -> Any:
            return segment_report(await full_picture(segment_id))

        async def kept_report(segment_id: str | None = segment_id) -> Any:
            return segment_report(await kept_picture(segment_id))

        for what, full, kept in (
            ("picture", full_picture, kept_picture),
            ("report", full_report, kept_report),
        ):
            cpu: dict[str, list[float]] = {"full": [], "kept": []}
            times = await interleaved(
                {"full": _cpu_timed(full, cpu["full"]), "kept": _cpu_timed(kept, cpu["kept"])},
                runs=runs,
                warmup=WARMUP,
            )
            full_s, kept_s = summary(times["full"]), summary(times["kept"])
            results[f"{label}: {what}"] = {
                "full read": full_s,
                "shared model": kept_s,
                "ratio": ratio(kept_s["median_s"], full_s["median_s"]),
                # This process's CPU (all its threads; not the database's), median of the
                # runs: on a machine shared with other work, closer to the quiet wall clock.
                "cpu_median_s": {
                    name: round(statistics.median(spent[WARMUP:]), 4) for name, spent in cpu.items()
                },
                "load_average_at_start": os.getloadavg()[0],
            }
            print(label, what, full_s["median_s"], kept_s["median_s"], flush=True)
    results["one segment: report after a write"] = await _after_writes(db, shared, settings, writes)
    return results


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    db = connect(args.data_dir)
    try:
        return await run(db, args.runs, args.writes)
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cg-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    start_database(args.data_dir)
    return report("shared", args.output, lambda: asyncio.run(_main(args)))


if __name__ == "__main__":
    sys.exit(main())
