"""Helpers for API tests: an app on its own settings, a Cypher-counting database, and a
fingerprint of the whole graph to show that a refused call changed nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from neo4j import AsyncManagedTransaction

from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database, TxWork, fetch_all
from schema.settings import Settings

ALL_NODES = """
MATCH (n) WHERE NOT n:CommonGroundTestMarker
RETURN elementId(n) AS element, labels(n) AS labels, properties(n) AS props
"""
ALL_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
RETURN elementId(a) AS start, type(r) AS type, properties(r) AS props, elementId(b) AS end
"""


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


async def _fingerprint(tx: AsyncManagedTransaction) -> tuple[str, int, int]:
    nodes = await fetch_all(tx, ALL_NODES)
    content = {
        n["element"]: hashlib.sha256(_canonical([sorted(n["labels"]), n["props"]])).hexdigest()
        for n in nodes
    }
    relationships = await fetch_all(tx, ALL_RELATIONSHIPS)
    edges = sorted(
        _canonical([content.get(r["start"]), r["type"], r["props"], content.get(r["end"])])
        for r in relationships
    )
    digest = hashlib.sha256()
    for node_hash in sorted(content.values()):
        digest.update(node_hash.encode())
    for edge in edges:
        digest.update(edge)
    return digest.hexdigest(), len(nodes), len(relationships)


async def graph_fingerprint(db: Database) -> tuple[str, int, int]:
    """(hash of every node's labels and properties and every relationship, nodes, rels)."""
    return await db.read(_fingerprint)


class _CountingTransaction:
    def __init__(self, tx: AsyncManagedTransaction, owner: CountingDatabase) -> None:
        self._tx = tx
        self._owner = owner

    async def run(self, query: str, parameters: Any = None, **kwargs: Any) -> Any:
        self._owner.queries += 1
        self._owner.log.append(" ".join(query.split())[:100])
        return await self._tx.run(query, parameters, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


class CountingDatabase(Database):
    """The test database, counting the Cypher queries and transactions that pass through it."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.driver, db.name, db.timeouts)
        self.queries = 0
        self.transactions = 0
        self.log: list[str] = []  # the start of each query, for failure messages

    def reset(self) -> None:
        self.queries = 0
        self.transactions = 0
        self.log = []

    def _counted(self, work: TxWork[Any]) -> TxWork[Any]:
        async def counted(tx: AsyncManagedTransaction, *args: Any, **kwargs: Any) -> Any:
            return await work(_CountingTransaction(tx, self), *args, **kwargs)

        return counted

    async def read_after(
        self, bookmarks: list[str] | None, work: TxWork[Any], *args: Any, **kwargs: Any
    ) -> Any:
        self.transactions += 1
        return await super().read_after(bookmarks, self._counted(work), *args, **kwargs)

    async def write_with_bookmark(
        self, work: TxWork[Any], *args: Any, **kwargs: Any
    ) -> tuple[Any, list[str]]:
        self.transactions += 1
        return await super().write_with_bookmark(self._counted(work), *args, **kwargs)


@contextlib.asynccontextmanager
async def app_client(
    settings: Settings,
    db: Database,
    *,
    raise_app_exceptions: bool = True,
    http_timeout_s: float = 120,
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a fresh app with these settings, its lifespan run, ready."""
    from api.app import create_app

    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        for _ in range(200):
            if app.state.ready:
                break
            await asyncio.sleep(0.05)
        assert app.state.ready, app.state.startup_error
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", timeout=http_timeout_s
        ) as http:
            yield http


@contextlib.contextmanager
def served(target: ConnectionTarget, workdir: Path) -> Iterator[str]:
    """`commonground serve` in a subprocess on a free loopback port; yields its base URL."""
    port = local_neo4j.free_port()
    env = {
        **os.environ,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_PASSWORD": target.password,
        "NEO4J_DATABASE": target.database,
        "COMMONGROUND_ENV": "development",
    }
    with (workdir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "commonground.cli", "serve", "--port", str(port)],
            cwd=workdir,  # no stray .env file
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_ready(base: str, attempts: int = 300) -> None:
    """Poll /readyz (every 0.2 s, a bounded number of times) until the server serves."""
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        for _ in range(attempts):
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{base} never became ready")
