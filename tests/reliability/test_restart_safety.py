"""Restart safety: `make up` twice, Ctrl-C during seeding, the database stopped under a server.

Each step runs the real command line (`commonground db start`, `seed --if-empty`, `serve`,
`db stop`) against the private database, found through its data directory as `make up`
finds it. Nothing may be left half-done: the next start recovers by itself.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import GraphDatabase

from tests.reliability.conftest import OwnDatabase, Server, graphql_body, wait_for

pytestmark = pytest.mark.slow

CLI_TIMEOUT_S = 600.0

ALL_NODES = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
ALL_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
RETURN type(r) AS type, properties(r) AS props,
       coalesce(a.id, a.key, a.name, a.hash, toString(a.version)) AS start,
       coalesce(b.id, b.key, b.name, b.hash, toString(b.version)) AS end
"""
# The demo company's own records: what must be there exactly once after any seeding.
DOMAIN_KEYS = """
MATCH (n) WHERE n:Entity OR n:Proposition OR n:Evidence OR n:Belief OR n:Member
  OR n:Function OR n:BeliefSeries
RETURN labels(n) AS labels, coalesce(n.id, n.key, n.name) AS key, n.seq AS seq,
       n.idempotency_key AS idempotency_key
"""
PROGRESS = """
RETURN COUNT { MATCH (e:Entity) } AS entities, COUNT { MATCH (b:Belief) } AS beliefs
"""


def run_cli(own_db: OwnDatabase, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commonground.cli", *args],
        capture_output=True,
        text=True,
        env=own_db.cli_env(),
        cwd=own_db.data_dir.parent,
        check=False,
        timeout=CLI_TIMEOUT_S,
    )


def make_up(own_db: OwnDatabase) -> None:
    """What `make up` runs before serving: start the local database, seed it if empty."""
    started = run_cli(own_db, "db", "start")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == own_db.info().uri
    seeded = run_cli(own_db, "seed", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr


def _plain(value: Any) -> Any:
    """A JSON-ready, order-independent form of a property value (times as text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def digest(own_db: OwnDatabase) -> dict[str, Any]:
    """Every node and relationship with all their properties, hashed."""
    nodes = sorted(
        json.dumps([sorted(r["labels"]), _plain(r["props"])], sort_keys=True)
        for r in own_db.query(ALL_NODES)
    )
    relationships = sorted(
        json.dumps(_plain(r), sort_keys=True) for r in own_db.query(ALL_RELATIONSHIPS)
    )
    return {
        "nodes": len(nodes),
        "relationships": len(relationships),
        "sha256": hashlib.sha256("\n".join(nodes + relationships).encode()).hexdigest(),
    }


def domain(own_db: OwnDatabase) -> dict[str, Any]:
    """Label and type counts, and every demo record's key (with belief sequence numbers)."""
    labels = Counter(label for r in own_db.query(ALL_NODES) for label in r["labels"])
    types = Counter(r["type"] for r in own_db.query(ALL_RELATIONSHIPS))
    keys = sorted(
        json.dumps(_plain([sorted(r["labels"]), r["key"], r["seq"], r["idempotency_key"]]))
        for r in own_db.query(DOMAIN_KEYS)
    )
    return {"labels": dict(labels), "types": dict(types), "keys": keys}


@pytest.fixture(scope="module")
def clean_seed(own_db: OwnDatabase) -> dict[str, Any]:
    """The first `make up` on an empty database: its graph is the reference.

    (The database keeps running: starting it through `db start` after a stop is
    exercised below, under a running server.)
    """
    own_db.ensure_running()
    own_db.wipe()
    make_up(own_db)
    return {"digest": digest(own_db), "domain": domain(own_db)}


def test_make_up_twice_changes_nothing(own_db: OwnDatabase, clean_seed: dict[str, Any]) -> None:
    assert clean_seed["domain"]["labels"]["Evidence"] > 0, "the demo company was not loaded"
    again = run_cli(own_db, "db", "start")
    assert again.returncode == 0 and "already running" in again.stderr
    seeded = run_cli(own_db, "seed", "--if-empty")
    assert seeded.returncode == 0 and "not loaded" in seeded.stderr
    assert digest(own_db) == clean_seed["digest"]


def test_ctrl_c_during_seeding_then_make_up_gives_one_clean_demo(
    own_db: OwnDatabase, clean_seed: dict[str, Any]
) -> None:
    own_db.ensure_running()
    own_db.wipe()
    log = own_db.data_dir.parent / "interrupted-seed.log"
    with open(log, "wb") as out:
        seeding = subprocess.Popen(
            [sys.executable, "-m", "commonground.cli", "seed", "--if-empty"],
            env=own_db.cli_env(),
            cwd=own_db.data_dir.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    target = own_db.target()
    try:
        # Ctrl-C once the first entities are in, long before the beliefs are. One driver for
        # the polling: a new one per look took long enough for a quick seed to finish first.
        with GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and seeding.poll() is None:
                records, _, _ = driver.execute_query(PROGRESS, database_=target.database)
                if records[0]["entities"] > 0:
                    break
                time.sleep(0.01)
        seeding.send_signal(signal.SIGINT)
        code = seeding.wait(timeout=60)
    finally:
        if seeding.poll() is None:
            seeding.kill()
            seeding.wait(timeout=30)
    partial = own_db.query(PROGRESS)[0]
    assert code != 0, f"the seed finished before it could be interrupted:\n{log.read_text()}"
    assert partial is not None and partial["entities"] > 0
    assert partial["beliefs"] < clean_seed["domain"]["labels"]["Belief"]

    # The next `make up` finishes the demo company: the same records, each once.
    make_up(own_db)
    assert domain(own_db) == clean_seed["domain"]


def test_db_stop_under_a_running_server_then_start_recovers_it(
    own_db: OwnDatabase, tmp_path: Path
) -> None:
    own_db.ensure_running()
    added = run_cli(own_db, "member", "add", f"Restart {tmp_path.name}", "--function", "design")
    assert added.returncode == 0, added.stderr
    made = run_cli(own_db, "token", "create", f"Restart {tmp_path.name}")
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Bearer {made.stdout.strip()}"}
    query = {"query": "{ functions { name } }"}

    server = Server(own_db.cli_env(), tmp_path)  # finds the database through the data dir
    server.start()
    try:
        pid = server.pid
        with httpx.Client(base_url=server.url, timeout=10.0) as http:
            before = graphql_body(http.post("/graphql", json=query, headers=headers))

            stopped = run_cli(own_db, "db", "stop")
            assert stopped.returncode == 0, stopped.stderr
            ready = http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"].isdigit()
            assert http.post("/graphql", json=query, headers=headers).status_code == 503

            started = run_cli(own_db, "db", "start")
            assert started.returncode == 0, started.stderr
            wait_for(lambda: server.status("/readyz") == 200, 120.0, "the server to recover")
            after = graphql_body(http.post("/graphql", json=query, headers=headers))
        assert after == before
        assert server.alive() and server.pid == pid
    finally:
        server.stop()


def test_ctrl_c_with_a_workshop_page_open_stops_the_server_cleanly(
    own_db: OwnDatabase, tmp_path: Path
) -> None:
    """An open workshop page holds an event stream; Ctrl-C must not wait for it to run out
    (it used to: "Waiting for connections to close" until a second Ctrl-C and a traceback)."""
    own_db.ensure_running()
    added = run_cli(own_db, "member", "add", f"Page {tmp_path.name}", "--function", "design")
    assert added.returncode == 0, added.stderr
    made = run_cli(own_db, "token", "create", f"Page {tmp_path.name}")
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Bearer {made.stdout.strip()}", "Accept": "text/event-stream"}

    server = Server(own_db.cli_env(), tmp_path)
    server.start()
    try:
        with (
            httpx.Client(base_url=server.url, timeout=10.0) as http,
            http.stream("GET", "/api/v1/workshop/events", headers=headers) as events,
        ):
            assert events.status_code == 200
            lines = events.iter_lines()
            assert next(lines).startswith("retry:")
            server.stop()  # Ctrl-C; killed only if it does not stop by itself
            received = list(lines)  # the server ended the stream: iteration finishes
        assert server.process is not None
        assert server.process.returncode != -signal.SIGKILL, server.log_tail()
        log = server.log_path.read_text()
        assert "Traceback" not in log and "Finished server process" in log, server.log_tail()
        assert all(not line.startswith("event: error") for line in received)
    finally:
        server.stop()
