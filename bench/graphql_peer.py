"""GraphQL reads and writes beside Neo4j's own ``@neo4j/graphql`` on the same database.

``python -m bench.graphql_peer`` (docs/benchmarks.md, "GraphQL beside @neo4j/graphql"):
starts the benchmark database (``--data-dir``, default ``/tmp/cg-bench``) and grows it to S
unless it holds data already, installs the peer from ``bench/peer/package.json`` (pinned
versions, ``npm ci``; ``make test`` never does this), starts the product's API and the peer
over the same database (with APOC core, which the peer needs, in that database's plugins
folder), checks that both give the same answers, then takes turns:

- nested reads: 100 propositions with subject, object and up to 100 evidence each; pages
  of about 1,000 and about 10,000 nested objects with each item's bearings;
- one entity by id from 32 connections for ``--seconds`` each (throughput, p50, p99, and
  the CPU the server and the database spent per request), the load made by autocannon
  (``bench/peer/load.mjs``) for both;
- 1,000 evidence items written in batches of 100 (written items are deleted afterwards), and
  the same items written by the driver alone, a plain ``UNWIND`` per batch (``raw``,
  ``bench.add_evidence``'s statement): the most any API over this database writes for a
  client sending one batch after another, so ``raw_over_peer`` bounds the product's ratio.

Before the servers start, the three nested reads also run in this process through the schema
as served and through one completing every field with graphql-core alone
(``build_schema(compiled=False)``), taking turns: the execution's own wall and CPU time, no
HTTP and no token, and a check that both answers are the same bytes.

The peer runs with no authentication; the product checks a bearer token on every request,
which is part of what it costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import neo4j
import orjson

from api.graphql.context import Context
from api.graphql.schema import build_schema
from bench import generate, harness, server
from bench.add_evidence import RAW_CREATE, raw_rows
from bench.load_generator import PEER_DIR, install_peer, node_command, run_load
from bench.run import start_database, stop_database
from graph.kit import local_neo4j
from graph.kit.connection import Database, fetch_all, fetch_one
from schema.models import Actor

RESULTS = harness.ROOT / "bench" / "results"
CONNECTIONS = 32
WRITE_ITEMS = 1000
WRITE_BATCH = 100
WRITE_ROUNDS = 3
WRITE_MARKER = "bench-peer-write"
# The peer formats DateTime values with APOC; its core jar goes into the benchmark database's
# plugins folder (never a product database: the product itself uses no plugins).
APOC = "org.neo4j.procedure:apoc-core:5.26.5:jar:core"

# Each read as the product asks it and as the peer asks it. The peer's schema mirrors the
# storage (bench/peer/server.mjs): snake_case properties, every relationship a list.
NESTED = {
    "100 propositions with up to 100 evidence": (
        {"first": 100},
        """query Q($first: Int!) { propositions(first: $first) { nodes {
          id relation subject { id kind name } object { id kind name }
          evidence(first: 100) { nodes { id sourceType summary observedAt } } } } }""",
        """query Q($first: Int!) {
          propositions(limit: $first, sort: [{created_at: ASC}, {id: ASC}]) {
            id relation subject { id kind name } object { id kind name }
            evidence(limit: 100, sort: [{observed_at: DESC}, {id: DESC}]) {
              id source_type summary observed_at } } }""",
    ),
}
_WITH_BEARINGS_OURS = """query Q($first: Int!, $evidence: Int!) {
  propositions(first: $first) { nodes {
    id relation subject { id kind name } object { id kind name }
    evidence(first: $evidence) { nodes { id sourceType observedAt
      bears { stance strength magnitude proposition { id relation subject { id name } } } } }
  } } }"""
_WITH_BEARINGS_PEER = """query Q($first: Int!, $evidence: Int!) {
  propositions(limit: $first, sort: [{created_at: ASC}, {id: ASC}]) {
    id relation subject { id kind name } object { id kind name }
    evidence(limit: $evidence, sort: [{observed_at: DESC}, {id: DESC}]) {
      id source_type observed_at
      bearsConnection { edges { properties { stance strength magnitude }
        node { id relation subject { id name } } } } } } }"""
NESTED["~1k objects with bearings"] = (
    {"first": 20, "evidence": 10},
    _WITH_BEARINGS_OURS,
    _WITH_BEARINGS_PEER,
)
NESTED["~10k objects with bearings"] = (
    {"first": 100, "evidence": 20},
    _WITH_BEARINGS_OURS,
    _WITH_BEARINGS_PEER,
)

ENTITY_OURS = "query E($id: ID!) { entity(id: $id) { id kind name } }"
ENTITY_PEER = "query E($id: ID!) { entities(where: {id: {eq: $id}}) { id kind name } }"

WRITE_OURS = """mutation W($input: [EvidenceInput!]!) {
  addEvidence(input: $input) { items { id } } }"""
WRITE_PEER = """mutation W($input: [EvidenceCreateInput!]!) {
  createEvidences(input: $input) { evidences { id } } }"""

ENTITY_IDS = (
    "MATCH (e:Entity) WHERE e.merged_into IS NULL RETURN e.id AS id ORDER BY e.id LIMIT 500"
)
PROPOSITION_IDS = "MATCH (p:Proposition) RETURN p.id AS id ORDER BY p.id LIMIT 200"
DELETE_WRITTEN = """
MATCH (ev:Evidence) WHERE ev.source_ref = $marker
WITH ev LIMIT 2000
DETACH DELETE ev
RETURN count(*) AS deleted
"""


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- comparing answers ------------------------------------------------------------------------

_PEER_NAMES = {"source_type": "sourceType", "observed_at": "observedAt"}


def _instant(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def normalise(value: Any) -> Any:
    """One form for both answers: camelCase names, lists of one entity unwrapped, bearings
    as a sorted list of (stance, strength, magnitude, proposition), times as instants."""
    if isinstance(value, dict):
        if "nodes" in value and len(value) == 1:
            return normalise(value["nodes"])
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(_PEER_NAMES.get(key, key))
            if key == "bearsConnection":
                name, item = (
                    "bears",
                    [{**edge["properties"], "proposition": edge["node"]} for edge in item["edges"]],
                )
            if name in ("subject", "object") and isinstance(item, list):
                item = item[0] if item else None
            if name == "observedAt":
                item = _instant(item)
            out[name] = normalise(item)
        if "bears" in out:
            out["bears"] = sorted(out["bears"], key=lambda b: json.dumps(b, sort_keys=True))
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def objects_in(body: dict[str, Any]) -> int:
    return harness.count_objects(body["data"]) - 1


# --- the two servers --------------------------------------------------------------------------


def install_apoc(data_dir: Path) -> None:
    """APOC core in the benchmark database's plugins folder; restarts the database once."""
    plugins = data_dir / "neo4j" / "plugins"
    if any(plugins.glob("apoc-core-*.jar")):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SystemExit("Maven is needed to fetch APOC core for the peer")
    log(f"fetching {APOC} for the peer")
    plugins.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [mvn, "-q", "dependency:copy", f"-Dartifact={APOC}", f"-DoutputDirectory={plugins}"],
        check=True,
    )
    stop_database(data_dir)
    start_database(data_dir)


@contextlib.contextmanager
def peer_server(data_dir: Path) -> Iterator[tuple[str, int]]:
    """``bench/peer/server.mjs`` on a free loopback port over the benchmark database: its
    base URL and process id."""
    recorded = json.loads((data_dir / "neo4j.json").read_text())
    port = harness.free_port()
    env = {
        **os.environ,
        "NEO4J_URI": recorded["uri"],
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": (data_dir / "password").read_text().strip(),
        "PORT": str(port),
    }
    process = subprocess.Popen([node_command(), "server.mjs"], cwd=PEER_DIR, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the peer exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                probe = httpx.post(base, json={"query": "{ __typename }"}, timeout=5.0)
                if probe.status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the peer did not start")
            time.sleep(0.5)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Client:
    """One GraphQL endpoint: posts a query and fails loudly on errors."""

    def __init__(self, http: httpx.AsyncClient, path: str) -> None:
        self.http, self.path = http, path

    async def send(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(self.path, json={"query": query, "variables": variables})
        body: dict[str, Any] = orjson.loads(response.content)
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{self.path}: {response.status_code} {body.get('errors')}")
        return body


# --- the measurements -------------------------------------------------------------------------


async def nested_reads(ours: Client, peer: Client, runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for label, (variables, our_query, peer_query) in NESTED.items():
        our_body = await ours.send(our_query, variables)
        peer_body = await peer.send(peer_query, variables)
        if normalise(our_body["data"]["propositions"]) != normalise(
            peer_body["data"]["propositions"]
        ):
            raise RuntimeError(f"{label}: the two answers differ")

        def send(
            client: Client, query: str, variables: dict[str, Any] = variables
        ) -> Callable[[], Awaitable[Any]]:
            return lambda: client.send(query, variables)

        times = await harness.interleaved(
            {"product": send(ours, our_query), "peer": send(peer, peer_query)}, runs=runs
        )
        product, other = harness.summary(times["product"]), harness.summary(times["peer"])
        results[label] = {
            "objects": objects_in(our_body),
            "product": product,
            "peer": other,
            "ratio": harness.ratio(product["median_s"], other["median_s"]),
        }
        log(f"{label}: {results[label]['ratio']}× the peer")
    return results


async def compiled_beside_plain(db: Database, data_dir: Path, runs: int) -> dict[str, Any]:
    """The nested reads executed in this process by the served schema (typed reads compiled,
    api/graphql/compiled/) and by graphql-core alone: medians of wall and CPU seconds."""
    settings = server.settings_for(data_dir)
    schemas = {
        "compiled": build_schema(settings),
        "graphql_core": build_schema(settings, compiled=False),
    }
    results: dict[str, Any] = {}
    for label, (variables, query, _) in NESTED.items():
        wall: dict[str, list[float]] = {name: [] for name in schemas}
        cpu: dict[str, list[float]] = {name: [] for name in schemas}
        answers: dict[str, bytes] = {}
        for round_ in range(harness.WARMUP + runs):
            # Both at one request time, so the answers may be compared byte for byte.
            now = datetime.now(UTC)
            for name, schema in schemas.items():
                context = Context(db, settings, Actor.system(), [])
                context.now = now
                started, started_cpu = time.perf_counter(), time.process_time()
                result = await schema.execute(query, variables, context_value=context)
                elapsed, elapsed_cpu = (
                    time.perf_counter() - started,
                    time.process_time() - started_cpu,
                )
                if result.errors:
                    raise RuntimeError(f"{label} ({name}): {result.errors}")
                answers[name] = orjson.dumps(result.data)
                if round_ >= harness.WARMUP:
                    wall[name].append(elapsed)
                    cpu[name].append(elapsed_cpu)
            if answers["compiled"] != answers["graphql_core"]:
                raise RuntimeError(f"{label}: the compiled answer differs")
        results[label] = {
            name: {
                "wall_median_s": round(statistics.median(wall[name]), 6),
                "cpu_median_s": round(statistics.median(cpu[name]), 6),
            }
            for name in schemas
        }
        log(f"{label} in process: {results[label]}")
    return results


@dataclass(frozen=True)
class Loaded:
    """One server under the entity-by-id load: where to post, what, and its CPU clock."""

    name: str
    url: str
    query: str
    headers: dict[str, str]
    # The server process's CPU seconds so far; None where it is several processes.
    cpu_s: Callable[[], Awaitable[float]] | None


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) the process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(target: Loaded, ids: list[str], seconds: float, database_pid: int) -> Any:
    """``bench/peer/load.mjs`` (autocannon) against ``target``: throughput, p50, p99, and the
    CPU the server and the database spent per request."""
    spec = {
        "query": target.query,
        "ids": ids,
        "connections": CONNECTIONS,
        "seconds": seconds,
        "headers": target.headers,
    }
    server_before = await target.cpu_s() if target.cpu_s else 0.0
    database_before = process_cpu_s(database_pid)
    measured = await run_load(target.url, spec)
    server_cpu = await target.cpu_s() - server_before if target.cpu_s else None
    database_cpu = process_cpu_s(database_pid) - database_before
    if measured["non_2xx"] or measured["errors"] or measured["graphql_errors"]:
        raise RuntimeError(f"{target.name} answered with errors under load: {measured}")
    requests = max(1, measured["requests"])
    measured["server_cpu_ms_per_request"] = (
        None if server_cpu is None else round(1000 * server_cpu / requests, 3)
    )
    measured["database_cpu_ms_per_request"] = round(1000 * database_cpu / requests, 3)
    return measured


async def entity_by_id(
    ours: Client, peer: Client, targets: list[Loaded], ids: list[str], seconds: float, pid: int
) -> Any:
    for entity_id in ids[:20]:
        mine = (await ours.send(ENTITY_OURS, {"id": entity_id}))["data"]["entity"]
        theirs = (await peer.send(ENTITY_PEER, {"id": entity_id}))["data"]["entities"]
        if [mine] != theirs:
            raise RuntimeError(f"entity {entity_id}: the two answers differ")
    results: dict[str, Any] = {"client": f"autocannon, {CONNECTIONS} connections"}
    # Twice each, in turns, so a burst of load elsewhere on the machine hits both alike; the
    # better round of each counts (the first also warms the peer's JIT).
    for round_ in range(2):
        for target in targets:
            measured = await _load(target, ids, seconds, pid)
            best = results.get(target.name)
            if best is None or measured["per_s"] > best["per_s"]:
                results[target.name] = measured
        log(f"entity by id, round {round_ + 1}: {results}")
    results["throughput_ratio"] = harness.ratio(
        results["product"]["per_s"], results["peer"]["per_s"]
    )
    return results


def _items(propositions: list[str], start: int, peer: bool) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    items: list[dict[str, Any]] = []
    for n in range(start, start + WRITE_BATCH):
        target = propositions[n % len(propositions)]
        summary = f"benchmark write {n}"
        if peer:
            items.append(
                {
                    "id": f"ev-peer-{uuid.uuid4().hex[:16]}",
                    "source_type": "interview",
                    "summary": summary,
                    "source_ref": WRITE_MARKER,
                    "observed_at": now,
                    "recorded_at": now,
                    "function": "product",
                    "bears": {
                        "connect": [
                            {
                                "where": {"node": {"id": {"eq": target}}},
                                "edge": {"stance": "SUPPORTS", "strength": 1.0},
                            }
                        ]
                    },
                }
            )
        else:
            items.append(
                {
                    "sourceType": "interview",
                    "summary": summary,
                    "sourceRef": WRITE_MARKER,
                    "bears": [{"propositionId": target, "stance": "SUPPORTS"}],
                }
            )
    return items


def _raw_rows(propositions: list[str], start: int) -> list[dict[str, Any]]:
    """The items of ``_items`` as ``add_evidence.RAW_CREATE`` writes them."""
    now = datetime.now(UTC)
    return raw_rows(
        [
            {
                "observed_at": now.isoformat(),
                "source_type": "interview",
                "summary": f"benchmark write {n}",
                "source_ref": WRITE_MARKER,
                "account_id": None,
                "key": None,
                "proposition_id": propositions[n % len(propositions)],
                "stance": "SUPPORTS",
                "strength": 1.0,
            }
            for n in range(start, start + WRITE_BATCH)
        ],
        now,
        keyed=False,
    )


async def writes(
    db: Database, ours: Client, peer: Client, propositions: list[str]
) -> dict[str, Any]:
    """``WRITE_ROUNDS`` rounds, each contender writing ``WRITE_ITEMS`` in turn; the medians."""

    async def raw(start: int) -> None:
        await db.driver.execute_query(
            RAW_CREATE,
            rows=_raw_rows(propositions, start),
            database_=db.name,
            routing_=neo4j.RoutingControl.WRITE,
        )

    def over(client: Client, query: str, is_peer: bool) -> Callable[[int], Awaitable[Any]]:
        return lambda start: client.send(query, {"input": _items(propositions, start, is_peer)})

    contenders: dict[str, Callable[[int], Awaitable[Any]]] = {
        "raw": raw,
        "product": over(ours, WRITE_OURS, False),
        "peer": over(peer, WRITE_PEER, True),
    }
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(WRITE_ROUNDS):
        for name, write in contenders.items():
            began = time.perf_counter()
            for start in range(0, WRITE_ITEMS, WRITE_BATCH):
                await write(start)
            seconds[name].append(time.perf_counter() - began)
    results: dict[str, Any] = {}
    for name, taken in seconds.items():
        median = statistics.median(taken)
        results[name] = {"items_per_s": round(WRITE_ITEMS / median, 1), "seconds": taken}
    results["ratio"] = harness.ratio(
        results["product"]["items_per_s"], results["peer"]["items_per_s"]
    )
    results["raw_over_peer"] = harness.ratio(
        results["raw"]["items_per_s"], results["peer"]["items_per_s"]
    )
    log(
        f"writes: product {results['ratio']}× the peer; the driver alone "
        f"{results['raw_over_peer']}× the peer"
    )
    return results


async def main(args: argparse.Namespace) -> dict[str, Any]:
    start_database(args.data_dir)
    install_apoc(args.data_dir)
    db: Database = generate.connect(args.data_dir)
    try:
        if not args.no_generate:
            await generate.generate(db, generate.SIZES["S"])
        install_peer()
        token = await harness.bench_token(db)
        entity_ids = [r["id"] for r in await db.read(fetch_all, ENTITY_IDS)]
        proposition_ids = [r["id"] for r in await db.read(fetch_all, PROPOSITION_IDS)]
        results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(),
            "machine": harness.machine(),
            "peer": json.loads((PEER_DIR / "package.json").read_text())["dependencies"],
        }
        results["in_process"] = await compiled_beside_plain(db, args.data_dir, args.runs)
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        database = local_neo4j.status(args.data_dir)
        assert database is not None and database.pid is not None
        with (
            harness.api_server(args.data_dir, workers=args.workers) as base,
            peer_server(args.data_dir) as (peer_base, peer_pid),
        ):
            async with (
                httpx.AsyncClient(
                    base_url=base,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=300.0,
                    limits=limits,
                ) as http,
                httpx.AsyncClient(base_url=peer_base, timeout=300.0, limits=limits) as peer_http,
            ):
                ours, peer = Client(http, "/graphql"), Client(peer_http, "/")
                results["nested"] = await nested_reads(ours, peer, args.runs)

                async def our_cpu() -> float:
                    return float((await http.get("/bench/cpu")).json()["cpu_s"])

                async def peer_cpu() -> float:
                    return process_cpu_s(peer_pid)

                targets = [
                    Loaded(
                        "product",
                        f"{base}/graphql",
                        ENTITY_OURS,
                        {"authorization": f"Bearer {token}"},
                        our_cpu if args.workers == 1 else None,
                    ),
                    Loaded("peer", f"{peer_base}/", ENTITY_PEER, {}, peer_cpu),
                ]
                results["entity_by_id"] = await entity_by_id(
                    ours, peer, targets, entity_ids, args.seconds, database.pid
                )
                try:
                    results["writes"] = await writes(db, ours, peer, proposition_ids)
                finally:
                    while await _delete_some_written(db):
                        pass
        return results
    finally:
        await db.close()


async def _delete_some_written(db: Database) -> int:
    row = await db.write(fetch_one, DELETE_WRITTEN, marker=WRITE_MARKER)
    return int(row["deleted"]) if row else 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GraphQL beside @neo4j/graphql.")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cg-bench"))
    parser.add_argument("--runs", type=int, default=harness.RUNS)
    parser.add_argument("--seconds", type=float, default=20.0, help="load per contender")
    parser.add_argument("--no-generate", action="store_true", help="use the data as it is")
    parser.add_argument("--workers", type=int, default=1, help="the product's API worker processes")
    parser.add_argument("--output", type=Path, help="default bench/results/<date>-peer.json")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    outcome = asyncio.run(main(arguments))
    path = arguments.output or RESULTS / f"{datetime.now(UTC).date().isoformat()}-peer.json"
    path.write_text(json.dumps(outcome, indent=2, default=str) + "\n")
    print(json.dumps(outcome, indent=2, default=str))
    print(f"\nresults: {path}")
