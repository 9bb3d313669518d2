"""The one place that opens the driver and managed transactions.

Every read runs through :meth:`Database.read` (read access mode, so a cluster can route it)
and every write through :meth:`Database.write`; both use the driver's managed transactions,
which retry transient errors. The database name is always passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, Bookmarks

from graph.kit import local_neo4j
from schema.errors import BadInput, CommonGroundError
from schema.settings import Settings

T = TypeVar("T")
S = TypeVar("S")

# A unit of work: an async function whose first argument is the managed transaction.
TxWork = Callable[..., Awaitable[T]]


class DatabaseNotConfigured(Exception):
    """Neither NEO4J_URI nor a local database in the data directory."""


@dataclass(frozen=True)
class ConnectionTarget:
    uri: str
    user: str
    password: str
    database: str
    local: bool


def resolve_target(
    *,
    uri: str | None,
    user: str,
    password: str | None,
    database: str,
    data_dir: Path,
) -> ConnectionTarget:
    """NEO4J_URI when set, else the local database recorded in the data directory."""
    if uri:
        return ConnectionTarget(uri, user, password or "", database, local=False)
    local = local_neo4j.status(data_dir)
    if local is None:
        raise DatabaseNotConfigured(
            f"no database: set NEO4J_URI, or run `commonground db start` (data dir {data_dir})"
        )
    return ConnectionTarget(local.uri, local.user, local.password(), database, local=True)


def target_for(settings: Settings) -> ConnectionTarget:
    """The database the settings name (see :func:`resolve_target`)."""
    return resolve_target(
        uri=settings.neo4j_uri,
        user=settings.neo4j_user,
        password=settings.neo4j_password,
        database=settings.neo4j_database,
        data_dir=settings.data_dir,
    )


@dataclass
class Timeouts:
    connection_s: float = 3.0
    acquisition_s: float = 3.0
    retry_s: float = 5.0
    transaction_s: float = 30.0


# A burst of requests queues for a transaction slot instead of failing: at most
# TRANSACTION_SLOTS transactions hold a pooled connection at once, so none waits past the
# short acquisition timeout for one (which answered 500 under 100 parallel requests), and
# a few connections stay free for health checks.
POOL_SIZE = 50
TRANSACTION_SLOTS = 45
# Reads of the whole model (the divergence picture) at once per process; the rest queue.
# Each holds the support of every evidence item in the database's transaction memory:
# 32 at once at M (100k evidence) exhausted it (benchmark d, docs/benchmarks.md), while two
# keep both cores busy.
MODEL_READ_SLOTS = 2
# Requests that queue for a model read at the same time share one (read_model_shared); a
# batch takes at most this many, so its transaction stays well inside the timeout.
SHARED_READ_BATCH = 64


@dataclass(eq=False)
class _SharedRead:
    """Requests waiting for a model-read slot that one transaction will serve together."""

    shared: Callable[[AsyncManagedTransaction, datetime], Awaitable[Any]]
    bookmarks: set[str] = field(default_factory=set)
    requests: list[tuple[Callable[..., Awaitable[Any]], asyncio.Future[Any]]] = field(
        default_factory=list
    )


class Database:
    """One async driver per process, with managed read and write transactions."""

    def __init__(self, driver: AsyncDriver, database: str, timeouts: Timeouts) -> None:
        self.driver = driver
        self.name = database
        self.timeouts = timeouts
        self._slots = asyncio.Semaphore(TRANSACTION_SLOTS)
        self._model_reads = asyncio.Semaphore(MODEL_READ_SLOTS)
        self._waiting: dict[Hashable, _SharedRead] = {}
        self._serving: set[asyncio.Task[None]] = set()

    @classmethod
    def connect(cls, target: ConnectionTarget, timeouts: Timeouts | None = None) -> Database:
        timeouts = timeouts or Timeouts()
        driver = AsyncGraphDatabase.driver(
            target.uri,
            auth=(target.user, target.password),
            connection_timeout=timeouts.connection_s,
            connection_acquisition_timeout=timeouts.acquisition_s,
            max_transaction_retry_time=timeouts.retry_s,
            max_connection_pool_size=POOL_SIZE,
            # Schema notifications ("label does not exist" on an empty graph) are noise here.
            notifications_min_severity="OFF",
        )
        return cls(driver, target.database, timeouts)

    async def close(self) -> None:
        await self.driver.close()

    async def ping(self) -> None:
        """Raise when the database cannot answer a trivial read right now."""
        await self.driver.execute_query(
            "RETURN 1", database_=self.name, routing_=neo4j.RoutingControl.READ
        )

    def _session(self, mode: str, bookmarks: Bookmarks | None) -> neo4j.AsyncSession:
        return self.driver.session(
            database=self.name, default_access_mode=mode, bookmarks=bookmarks
        )

    async def read(
        self,
        work: TxWork[T],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        return await self.read_after(None, work, *args, **kwargs)

    async def read_model(
        self,
        bookmarks: list[str] | None,
        work: TxWork[T],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        """``read_after`` for a read of the whole model: at most ``MODEL_READ_SLOTS`` at once."""
        async with self._model_reads:
            return await self.read_after(bookmarks, work, *args, **kwargs)

    async def read_model_shared(
        self,
        key: Hashable,
        bookmarks: list[str] | None,
        shared: Callable[[AsyncManagedTransaction, datetime], Awaitable[S]],
        own: Callable[[AsyncManagedTransaction, S, datetime], Awaitable[T]],
    ) -> T:
        """A model read whose whole-model part is shared by the requests queued with it.

        When thirty workshop pages open at once, each needs the same whole model and a little
        of its own (one segment's scope). The requests with the same ``key`` that wait for a
        model-read slot at the same time form one batch: when it gets the slot, one read
        transaction runs ``shared(tx, started_at)`` once and then each request's
        ``own(tx, common, started_at)``. ``started_at`` is when that transaction began: the
        "now" of every request in it, all of which arrived before it. ``key`` must name
        everything ``shared`` depends on. Each request's bookmarks are honoured (the batch
        waits for all of them), and a request's own failure (a segment that does not exist)
        is its alone; a database error fails the batch, after the driver's retries.
        """
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        batch = self._waiting.get(key)
        if batch is None or len(batch.requests) >= SHARED_READ_BATCH:
            batch = _SharedRead(shared)
            self._waiting[key] = batch
            # A task of its own, so that the batch outlives a first requester who hangs up.
            task = asyncio.create_task(self._serve_shared(key, batch))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)
        batch.bookmarks.update(bookmarks or ())
        batch.requests.append((own, answer))
        return await answer

    async def _serve_shared(self, key: Hashable, batch: _SharedRead) -> None:
        async with self._model_reads:
            if self._waiting.get(key) is batch:
                del self._waiting[key]  # from here on, newcomers form the next batch
            requests = [(own, answer) for own, answer in batch.requests if not answer.done()]
            if not requests:
                return
            started_at = datetime.now(UTC)

            async def work(tx: AsyncManagedTransaction) -> list[tuple[bool, Any]]:
                common = await batch.shared(tx, started_at)
                outcomes: list[tuple[bool, Any]] = []
                for own, _ in requests:
                    try:
                        outcomes.append((True, await own(tx, common, started_at)))
                    except CommonGroundError as error:
                        outcomes.append((False, error))
                return outcomes

            try:
                outcomes = await self.read_after(sorted(batch.bookmarks) or None, work)
            except asyncio.CancelledError:
                for _, answer in requests:
                    answer.cancel()
                raise
            except Exception as error:
                for _, answer in requests:
                    if not answer.done():
                        answer.set_exception(error)
                return
        for (ok, value), (_, answer) in zip(outcomes, requests, strict=True):
            if answer.done():
                continue  # its requester hung up
            if ok:
                answer.set_result(value)
            else:
                answer.set_exception(value)

    async def read_after(
        self,
        bookmarks: list[str] | None,
        work: TxWork[T],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        """A read that waits for the writes behind ``bookmarks`` (read-your-own-writes)."""
        marks = Bookmarks.from_raw_values(bookmarks) if bookmarks else None
        async with self._slots, self._session(neo4j.READ_ACCESS, marks) as session:
            try:
                return await session.execute_read(
                    _with_timeout(work, self.timeouts.transaction_s), *args, **kwargs
                )
            except UnicodeEncodeError as error:
                raise unstorable_text(error) from None

    async def write(
        self,
        work: TxWork[T],
        *args: Any,
        **kwargs: Any,
    ) -> T:
        result, _ = await self.write_with_bookmark(work, *args, **kwargs)
        return result

    async def write_with_bookmark(
        self,
        work: TxWork[T],
        *args: Any,
        **kwargs: Any,
    ) -> tuple[T, list[str]]:
        """Run a write and return the bookmark a client can send back to read its own write."""
        async with self._slots, self._session(neo4j.WRITE_ACCESS, None) as session:
            try:
                result = await session.execute_write(
                    _with_timeout(work, self.timeouts.transaction_s), *args, **kwargs
                )
            except UnicodeEncodeError as error:
                raise unstorable_text(error) from None
            bookmarks = await session.last_bookmarks()
        return result, sorted(bookmarks.raw_values)


def unstorable_text(error: UnicodeEncodeError) -> BadInput:
    """Text that cannot be encoded as UTF-8: a lone UTF-16 surrogate, which JSON can carry
    (``"\\ud800"``) but UTF-8, and so Neo4j, cannot. Nothing was written."""
    return BadInput(
        "text must be valid Unicode: a lone surrogate such as "
        f"{error.object[error.start : error.end]!r} cannot be stored"
    )


def _with_timeout(work: TxWork[T], timeout_s: float) -> TxWork[T]:
    """Bound every transaction on the server side too (the DBMS kills it past the timeout)."""
    return neo4j.unit_of_work(timeout=timeout_s)(work)


async def fetch_all(tx: AsyncManagedTransaction, query: str, **params: Any) -> list[dict[str, Any]]:
    """Run one query and return its records as plain dicts."""
    result = await tx.run(query, params)
    return [record.data() async for record in result]


async def fetch_one(
    tx: AsyncManagedTransaction, query: str, **params: Any
) -> dict[str, Any] | None:
    result = await tx.run(query, params)
    record = await result.single()
    return None if record is None else record.data()


async def fetch_collected(
    tx: AsyncManagedTransaction, query: str, key: str, **params: Any
) -> list[Any]:
    """The list one query collects into ``key`` of its single record, as the driver decoded it.

    For queries that collect maps of plain values (no nodes, relationships or paths): they
    need none of ``Record.data()``'s recursive copy, which cost more than the query itself on
    the divergence report's reads (benchmark b, docs/benchmarks.md).
    """
    result = await tx.run(query, params)
    record = await result.single()
    found = None if record is None else record[key]
    return list(found) if found else []
