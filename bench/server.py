"""The product's app under uvicorn, plus the plain endpoints the benchmarks compare it with.

``/bench/propositions`` serves the JSON the GraphQL listings give, straight from the same
Cypher (``graph/bulk_reads.py``) with orjson — authenticated the same way, with no GraphQL
in between. ``/bench/queries`` says how many Cypher queries this process has run, so a
benchmark can count a request's database round trips; ``/bench/cpu`` the CPU time it has
used; ``/bench/worker`` which worker process answered and whether it holds the shared
model laid out for weighing yet (a benchmark waits for every worker's first read before it
measures). Loopback only.

Run: ``python -m bench.server --data-dir /tmp/cg-bench --port 8765``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j
import orjson
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from neo4j._async.work.transaction import AsyncTransactionBase

from api.app import create_app
from api.auth import authenticate, token_from_request
from graph import bulk_reads
from graph.divergence import shared_model
from graph.kit.connection import Database, resolve_target
from schema.settings import Settings

# Big enough for the ~10,000-object page of benchmark c through the typed listing (whose
# default limit is 100); the bulk field has its own limit of 1000.
BENCH_MAX_PAGE_SIZE = 1000
# ... and a query-cost budget that lets the ~10,000-object pages through: the budget counts
# what a query *could* return (every item with its 20 possible bearings), not what it does.
BENCH_QUERY_COST_BUDGET = 10_000_000

_queries = itertools.count()
_original_run = AsyncTransactionBase.run


def _counting_run(self: Any, query: Any, parameters: Any = None, **kwargs: Any) -> Any:
    next(_queries)
    return _original_run(self, query, parameters, **kwargs)


def settings_for(data_dir: Path) -> Settings:
    target = resolve_target(
        uri=None, user="neo4j", password=None, database="neo4j", data_dir=data_dir
    )
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        neo4j_uri=target.uri,
        neo4j_user=target.user,
        neo4j_password=target.password,
        neo4j_database=target.database,
        COMMONGROUND_MAX_PAGE_SIZE=BENCH_MAX_PAGE_SIZE,
        COMMONGROUND_QUERY_COST_BUDGET=BENCH_QUERY_COST_BUDGET,
        COMMONGROUND_REQUEST_TIMEOUT=120.0,
        COMMONGROUND_TRANSACTION_TIMEOUT=120.0,
    )


def bench_app(data_dir: Path) -> FastAPI:
    AsyncTransactionBase.run = _counting_run  # type: ignore[method-assign]
    app = create_app(settings_for(data_dir))

    @app.get("/bench/queries")
    async def queries() -> dict[str, int]:
        # Reading the counter advances it; callers subtract the one they caused.
        return {"queries": next(_queries)}

    @app.get("/bench/cpu")
    async def cpu() -> dict[str, float]:
        # This process's CPU seconds (every thread): a benchmark takes the difference
        # around a load to give the server's CPU per request.
        return {"cpu_s": time.process_time()}

    @app.get("/bench/worker")
    async def worker(request: Request) -> dict[str, Any]:
        db: Database | None = request.app.state.db
        settings: Settings = request.app.state.settings
        return {
            "pid": os.getpid(),
            "reads_model_at_start": settings.read_model_at_start,
            "model_laid_out": db is not None and shared_model(db).laid_out,
        }

    @app.get("/bench/propositions")
    async def plain_propositions(
        request: Request, first: int, evidence: int, root: str = "propositionGraph"
    ) -> Response:
        db: Database = request.app.state.db
        if await authenticate(db, token_from_request(request)) is None:
            raise HTTPException(401, "a valid API token is required")
        as_of = datetime.now(UTC)
        records, _, _ = await db.driver.execute_query(
            bulk_reads.PROPOSITION_GRAPH,
            segment_id=None,
            relation=None,
            as_of=as_of,
            after_created=None,
            after_id=None,
            limit=first,
            evidence_limit=evidence,
            database_=db.name,
            routing_=neo4j.RoutingControl.READ,
        )
        page = bulk_reads.proposition_page([r.data() for r in records], as_of=as_of, limit=first)
        return Response(orjson.dumps({"data": {root: page}}), media_type="application/json")

    return app


DATA_DIR_VARIABLE = "COMMONGROUND_BENCH_DATA_DIR"  # how the workers learn the data dir


def worker_app() -> FastAPI:
    """The app of one worker of ``--workers N`` (as ``commonground serve --workers`` runs
    them): each process counts its own queries, so count round trips with one worker."""
    return bench_app(Path(os.environ[DATA_DIR_VARIABLE]))


def main() -> None:
    parser = argparse.ArgumentParser(description="the product's API plus plain endpoints")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args()
    if args.workers > 1:
        os.environ[DATA_DIR_VARIABLE] = str(args.data_dir)
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=args.workers,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
        )
        return
    uvicorn.run(
        bench_app(args.data_dir),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
