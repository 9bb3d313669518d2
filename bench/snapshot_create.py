"""Benchmark: creating a snapshot of the whole model, its time and its memory.

``python -m bench.snapshot_create --data-dir DIR [--figures] [--tracemalloc] [--output FILE]``

On a database already grown by ``bench.generate`` (started here if it is not running): one
``snapshots.create`` of the whole model as of now, as ``commonground snapshot create`` runs it
(reading the graph in pages, fingerprinting, compressing, writing chunks), timed by the wall
clock and by this process's own CPU time (what is left is the database's work and the waits
for it). Peak memory is the process's resident high-water mark (``ru_maxrss``), beside the
resident size before the creation started; ``--tracemalloc`` adds a second creation under
``tracemalloc`` for Python's own peak. Without ``--figures`` the snapshot holds the content
alone (as benchmark e creates it); with it, the divergence figures frozen beside the content
are computed too, and timed on their own. Each snapshot is deleted again afterwards, so the
dataset is left as it was (the audit log keeps the creations).

Run each size in a fresh process: the resident high-water mark covers the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import connect
from bench.harness import report
from bench.run import start_database
from bench.snapshot_export import DELETE_SNAPSHOT, no_figures
from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import store
from graph.snapshots.figures import figures_for
from graph.snapshots.store import FiguresFn
from schema.models import Actor


def _rss_bytes() -> int:
    """This process's resident size now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


async def create_once(db: Database, with_figures: bool) -> dict[str, Any]:
    """One creation of the whole model's snapshot, measured; the snapshot is deleted after."""
    figures_s = 0.0
    compute: FiguresFn = figures_for(EngineSettings()) if with_figures else no_figures

    async def timed_figures(db: Database, as_of: datetime) -> dict[str, Any]:
        nonlocal figures_s
        started = time.perf_counter()
        try:
            return await compute(db, as_of)
        finally:
            figures_s = time.perf_counter() - started

    rss_before = _rss_bytes()
    cpu_started = time.process_time()
    started = time.perf_counter()
    info, _ = await store.create(db, Actor.system(), timed_figures, as_of=datetime.now(UTC))
    seconds = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    try:
        records = sum(info.counts.values())
        return {
            "records": records,
            "counts": info.counts,
            "fingerprint": info.fingerprint,
            "seconds": round(seconds, 3),
            "figures_seconds": round(figures_s, 3) if with_figures else None,
            "records_per_s": round(records / seconds),
            "process_cpu_s": round(cpu_s, 3),
            "rss_before_bytes": rss_before,
            "peak_rss_bytes": _peak_rss_bytes(),
        }
    finally:
        await db.driver.execute_query(DELETE_SNAPSHOT, id=info.id, database_=db.name)


async def python_peak(db: Database, with_figures: bool) -> int:
    """Peak bytes Python allocated during one more creation."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await create_once(db, with_figures)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


async def run(data_dir: Path, with_figures: bool, with_tracemalloc: bool) -> dict[str, Any]:
    db = connect(data_dir)
    try:
        result: dict[str, Any] = {"create": await create_once(db, with_figures)}
        if with_tracemalloc:
            result["peak_python_bytes"] = await python_peak(db, with_figures)
        return result
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cg-bench"))
    parser.add_argument("--figures", action="store_true", help="compute the figures too")
    parser.add_argument("--tracemalloc", action="store_true", help="and Python's own peak")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    start_database(args.data_dir)
    return report(
        "snapshot-create",
        args.output,
        lambda: asyncio.run(run(args.data_dir, args.figures, args.tracemalloc)),
        figures=args.figures,
    )


if __name__ == "__main__":
    sys.exit(main())
