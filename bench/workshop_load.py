"""Benchmark d: 32 concurrent clients running the workshop query over HTTP against uvicorn.

The workshop query is ``GET /api/v1/workshop/segments/{id}`` — one segment's whole model
(entities, propositions, support, beliefs), what the workshop page loads. Each of the 32
clients sends its requests one after another over its own connection, round-robin over
the segments, until all requests are answered or the time budget runs out. Reported:
throughput, p50 and p99 latency, and errors (any status but 200, or a transport error).
The raw-driver reference is the same clients running ``load_picture``'s Cypher through
``driver.execute_query`` in this process (no HTTP, no engine), at most ``MODEL_READ_SLOTS``
at once as the product reads: thirty-two whole-model reads at once exhaust Neo4j's
transaction memory at M (2 of 64 answered in the first run, docs/benchmarks.md).

``with writer`` runs the clients again while one more client adds an evidence item through
GraphQL every second and at once reads its segment's page back: the page must count the new
item (``stale_reads`` says how often it did not), and the clients' pages keep coming from a
shared model that each write makes the server bring up to date.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from neo4j.exceptions import DriverError, Neo4jError

from bench.divergence_report import raw_queries
from bench.generate import segment_id
from bench.load_generator import install_peer, run_load
from graph.divergence import EngineSettings
from graph.kit.connection import MODEL_READ_SLOTS, Database

CLIENTS = 32
REQUESTS_PER_CLIENT = 8
TIME_BUDGET_S = 300.0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def _stats(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    p50 = percentile(ordered, 0.50)
    p99 = percentile(ordered, 0.99)
    return {
        "requests": len(latencies) + errors,
        "ok": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "throughput_per_s": round(len(latencies) / elapsed, 3) if elapsed else None,
        "p50_s": round(p50, 4),
        "p99_s": round(p99, 4),
        "max_s": round(ordered[-1], 4) if ordered else None,
        "p99_over_p50": round(p99 / p50, 3) if p50 else None,
    }


async def _clients(
    send: Any, segments: int, clients: int, per_client: int, budget_s: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + budget_s
    started = time.perf_counter()

    async def client(n: int) -> None:
        nonlocal errors
        for i in range(per_client):
            if time.monotonic() > deadline:
                return
            segment = segment_id((n * per_client + i) % segments)
            begun = time.perf_counter()
            try:
                ok = await send(n, segment)
            except (httpx.HTTPError, OSError, Neo4jError, DriverError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - begun)
            else:
                errors += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    return _stats(latencies, errors, time.perf_counter() - started)


async def _from_a_load_generator(
    base_url: str, headers: dict[str, str], segments: int, clients: int, per_client: int
) -> dict[str, Any]:
    """The same pages in the same order from autocannon (``bench/peer/load.mjs``): as many
    connections as clients, ``clients × per_client`` requests in all. The Python clients
    above cost more CPU per request than the server (docs/benchmarks.md) on the same two
    cores; thirty-two browsers of a real workshop are on machines of their own."""
    install_peer()
    spec = {
        "paths": [
            f"/api/v1/workshop/segments/{segment_id(k % segments)}"
            for k in range(clients * per_client)
        ],
        "amount": clients * per_client,
        "connections": clients,
        "headers": headers,
    }
    measured = await run_load(base_url, spec)
    errors = measured["non_2xx"] + measured["errors"]
    return {
        "client": f"autocannon, {clients} connections",
        "requests": measured["requests"],
        "ok": measured["requests"] - errors,
        "errors": errors,
        "seconds": measured["seconds"],
        "throughput_per_s": measured["per_s"],
        "p50_s": measured["p50_s"],
        "p99_s": measured["p99_s"],
    }


async def _while_writing(
    base_url: str, headers: dict[str, str], measure: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """``measure()`` while one more client adds an evidence item every second (``_writer``):
    what both saw."""
    stop = asyncio.Event()
    writing = asyncio.create_task(_writer(base_url, headers, stop))
    try:
        measured = await measure()
    finally:
        stop.set()
        written = await writing
    return {**measured, **written}


ADD_EVIDENCE = "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }"


async def _writer(base_url: str, headers: dict[str, str], stop: asyncio.Event) -> dict[str, Any]:
    """Add an item every second to the first segment's first proposition, reading the page
    back after each: how many writes, how many reads back missed them, the read-back times."""
    segment = segment_id(0)
    page = f"/api/v1/workshop/segments/{segment}"
    writes, stale = 0, 0
    read_back: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:

        async def count(proposition: str | None) -> tuple[str, int]:
            rows = (await http.get(page)).json()["propositions"]
            row = (
                rows[0] if proposition is None else next(r for r in rows if r["id"] == proposition)
            )
            return row["id"], int(row["evidence"]["count"])

        proposition, before = await count(None)
        while not stop.is_set():
            item = {
                "sourceType": "interview",
                "summary": f"workshop benchmark write {writes}",
                "bears": [{"propositionId": proposition, "stance": "SUPPORTS", "strength": 0.7}],
            }
            response = await http.post(
                "/graphql", json={"query": ADD_EVIDENCE, "variables": {"i": [item]}}
            )
            if response.status_code == 200 and "errors" not in response.json():
                writes += 1
                begun = time.perf_counter()
                _, now_counted = await count(proposition)
                read_back.append(time.perf_counter() - begun)
                stale += now_counted != before + writes
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass
    ordered = sorted(read_back)
    return {
        "writes": writes,
        "stale_reads": stale,
        "read_back_p50_s": round(percentile(ordered, 0.5), 4),
        "read_back_max_s": round(ordered[-1], 4) if ordered else None,
    }


async def run(
    db: Database,
    base_url: str,
    token: str,
    segments: int,
    *,
    clients: int = CLIENTS,
    per_client: int = REQUESTS_PER_CLIENT,
    budget_s: float = TIME_BUDGET_S,
    writer: bool = False,
    raw_reference: bool = True,
    load_generator: bool = True,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    connections = [
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=budget_s)
        for _ in range(clients)
    ]
    try:

        async def over_http(n: int, segment: str) -> bool:
            response = await connections[n].get(f"/api/v1/workshop/segments/{segment}")
            await response.aread()
            return response.status_code == 200

        settings = EngineSettings()
        slots = asyncio.Semaphore(MODEL_READ_SLOTS)

        async def raw(n: int, segment: str) -> bool:
            async with slots:
                await raw_queries(db, settings, datetime.now(UTC), segment)
            return True

        # One request alone first: the latency of the query without contention.
        alone = await _clients(over_http, segments, 1, 3, budget_s)
        http = await _clients(over_http, segments, clients, per_client, budget_s)
        raw_stats = (
            await _clients(raw, segments, clients, per_client, budget_s) if raw_reference else None
        )
        with_writer = None
        if writer:
            with_writer = await _while_writing(
                base_url,
                headers,
                lambda: _clients(over_http, segments, clients, per_client, budget_s),
            )
        generated = generated_with_writer = None
        if load_generator:

            def generate() -> Awaitable[dict[str, Any]]:
                return _from_a_load_generator(base_url, headers, segments, clients, per_client)

            generated = await generate()
            if writer:
                generated_with_writer = await _while_writing(base_url, headers, generate)
    finally:
        for connection in connections:
            await connection.aclose()
    result: dict[str, Any] = {
        "clients": clients,
        "requests_per_client": per_client,
        "alone": alone,
        "http": http,
    }
    if raw_stats is not None:
        result["raw"] = raw_stats
    if with_writer is not None:
        result["with writer"] = with_writer
    if generated is not None:
        result["load generator"] = generated
    if generated_with_writer is not None:
        result["load generator, with writer"] = generated_with_writer
    if raw_stats is not None and http["throughput_per_s"] and raw_stats["throughput_per_s"]:
        result["throughput_ratio"] = round(
            http["throughput_per_s"] / raw_stats["throughput_per_s"], 3
        )
    return result
