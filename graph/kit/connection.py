"""The one place that opens the driver and managed transactions.

Every read runs through :meth:`Database.read` (read access mode, so a cluster can route it)
and every write through :meth:`Database.write`; both use the driver's managed transactions,
which retry transient errors. The database name is always passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, Bookmarks
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from graph.kit import local_neo4j, offload
from schema.errors import BadInput, CommonGroundError
from schema.settings import Settings

T = TypeVar("T")
S = TypeVar("S")
W = TypeVar("W", bound=Callable[..., Awaitable[Any]])

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
    retry_s: float = 5.0  # how long a transaction is retried after a transient error
    transaction_s: float = 30.0
    # How long a transaction is retried while the database cannot be reached at all (a
    # refused or lost connection); None: as long as after a transient error. The API keeps
    # it short, so that an outage is answered 503 at once (docs/design.md §5 "Fail fast").
    outage_s: float | None = None

    @property
    def outage_retry_s(self) -> float:
        return self.retry_s if self.outage_s is None else self.outage_s


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


FIRST_RETRY_DELAY_S = 0.05
MAX_RETRY_DELAY_S = 1.0

# The driver factory of each driver ``Database.connect`` made: another event loop (the one
# heavy work runs on, graph/kit/offload.py) gets a driver of its own, made the same way.
_DRIVER_FACTORIES: weakref.WeakKeyDictionary[AsyncDriver, Callable[[], AsyncDriver]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(eq=False)
class _LoopState:
    """What a database needs per event loop: a driver and the loop's own queues."""

    driver: AsyncDriver
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(TRANSACTION_SLOTS))
    model_reads: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(MODEL_READ_SLOTS)
    )
    waiting: dict[Hashable, _SharedRead] = field(default_factory=dict)
    serving: set[asyncio.Task[None]] = field(default_factory=set)


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
        self.name = database
        self.timeouts = timeouts
        self._home = _LoopState(driver)
        try:
            self._home_loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._home_loop = None  # the first loop that uses it
        self._elsewhere: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._make_driver = _DRIVER_FACTORIES.get(driver)

    def _here(self) -> _LoopState:
        """The driver and queues of the running event loop: the first loop's own, another
        loop's (heavy work's, graph/kit/offload.py) made for it on first use."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._home
        if self._home_loop is None or self._home_loop.is_closed():
            self._home_loop = loop
        if loop is self._home_loop:
            return self._home
        state = self._elsewhere.get(loop)
        if state is None:
            if self._make_driver is None:
                raise RuntimeError("this database was not opened by Database.connect")
            state = self._elsewhere[loop] = _LoopState(self._make_driver())
        return state

    @property
    def driver(self) -> AsyncDriver:
        return self._here().driver

    @property
    def _slots(self) -> asyncio.Semaphore:
        return self._here().slots

    @property
    def _model_reads(self) -> asyncio.Semaphore:
        return self._here().model_reads

    @property
    def _waiting(self) -> dict[Hashable, _SharedRead]:
        return self._here().waiting

    @property
    def _serving(self) -> set[asyncio.Task[None]]:
        return self._here().serving

    @classmethod
    def connect(cls, target: ConnectionTarget, timeouts: Timeouts | None = None) -> Database:
        timeouts = timeouts or Timeouts()

        def make_driver() -> AsyncDriver:
            driver = AsyncGraphDatabase.driver(
                target.uri,
                auth=(target.user, target.password),
                connection_timeout=timeouts.connection_s,
                connection_acquisition_timeout=timeouts.acquisition_s,
                max_transaction_retry_time=timeouts.retry_s,
                max_connection_pool_size=POOL_SIZE,
                # Schema notifications ("label does not exist" on an empty graph) are noise.
                notifications_min_severity="OFF",
            )
            _DRIVER_FACTORIES[driver] = make_driver
            return driver

        return cls(make_driver(), target.database, timeouts)

    async def close(self) -> None:
        """Close the driver of every event loop that used this database."""
        for loop, state in list(self._elsewhere.items()):
            if loop.is_closed():
                continue
            closing = asyncio.run_coroutine_threadsafe(state.driver.close(), loop)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(closing), timeout=5.0)
        self._elsewhere.clear()
        await self._home.driver.close()

    async def ping(self) -> None:
        """Raise when the database cannot answer a trivial read right now."""
        await self.driver.execute_query(
            "RETURN 1", database_=self.name, routing_=neo4j.RoutingControl.READ
        )

    def _session(self, mode: str, bookmarks: Bookmarks | None) -> neo4j.AsyncSession:
        # One attempt per session: `_retrying` retries, telling an outage from a conflict.
        return self.driver.session(
            database=self.name,
            default_access_mode=mode,
            bookmarks=bookmarks,
            max_transaction_retry_time=0,
        )

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it succeeds, retrying what the driver would retry: a
        transient error (a deadlock, a leader switch) for ``retry_s``, an unreachable database
        only for ``outage_s`` (then ServiceUnavailable reaches the caller, who answers 503)."""
        started = time.monotonic()
        delay = FIRST_RETRY_DELAY_S
        while True:
            offload.checkpoint()
            try:
                return await attempt()
            except (DriverError, Neo4jError) as error:
                if not error.is_retryable():
                    raise
                outage = isinstance(error, ServiceUnavailable | SessionExpired)
                budget = self.timeouts.outage_retry_s if outage else self.timeouts.retry_s
                pause = delay * random.uniform(0.8, 1.2)  # jitter, not a secret
                if time.monotonic() - started + pause > budget:
                    raise
            await asyncio.sleep(pause)
            delay = min(delay * 2, MAX_RETRY_DELAY_S)

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
        unit = _with_timeout(work, self.timeouts.transaction_s)

        async def attempt() -> T:
            async with self._slots, self._session(neo4j.READ_ACCESS, marks) as session:
                try:
                    if getattr(work, ONE_STATEMENT, False):
                        alone = _Alone(session, self.timeouts.transaction_s)
                        return await work(cast(AsyncManagedTransaction, alone), *args, **kwargs)
                    with _begin_with_first_query(session):
                        return await session.execute_read(unit, *args, **kwargs)
                except UnicodeEncodeError as error:
                    raise unstorable_text(error) from None

        return await self._retrying(attempt)

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
        unit = _with_timeout(work, self.timeouts.transaction_s)

        async def attempt() -> tuple[T, list[str]]:
            async with self._slots, self._session(neo4j.WRITE_ACCESS, None) as session:
                try:
                    with _begin_with_first_query(session):
                        result = await session.execute_write(unit, *args, **kwargs)
                except UnicodeEncodeError as error:
                    raise unstorable_text(error) from None
                bookmarks = await session.last_bookmarks()
            return result, sorted(bookmarks.raw_values)

        return await self._retrying(attempt)


def unstorable_text(error: UnicodeEncodeError) -> BadInput:
    """Text that cannot be encoded as UTF-8: a lone UTF-16 surrogate, which JSON can carry
    (``"\\ud800"``) but UTF-8, and so Neo4j, cannot. Nothing was written."""
    return BadInput(
        "text must be valid Unicode: a lone surrogate such as "
        f"{error.object[error.start : error.end]!r} cannot be stored"
    )


ONE_STATEMENT = "runs_one_statement"


def one_statement(work: W) -> W:
    """Mark a read that runs exactly one statement: ``read_after`` then runs it as a query of
    its own (an auto-commit transaction: RUN and PULL in one round trip, no BEGIN or COMMIT)
    rather than in a managed transaction. For the small reads a busy API answers most (one
    entity, a token): ~8% less CPU per request under 32 clients (docs/benchmarks.md). Run
    inside another transaction, the function is an ordinary one."""
    setattr(work, ONE_STATEMENT, True)
    return work


class _Alone:
    """What a ``one_statement`` read gets for its transaction: its one statement runs as a
    query of its own, bounded as a transaction is (``_with_timeout``)."""

    def __init__(self, session: neo4j.AsyncSession, timeout_s: float) -> None:
        self._session, self._timeout_s, self._ran = session, timeout_s, False

    async def run(
        self, query: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> neo4j.AsyncResult:
        if self._ran:
            raise RuntimeError("a read marked one_statement ran a second statement")
        self._ran = True
        return await self._session.run(
            neo4j.Query(query, timeout=self._timeout_s), parameters, **kwargs
        )


def _begin_with_first_query(session: neo4j.AsyncSession) -> contextlib.AbstractContextManager[Any]:
    """Within this, the session's transactions send BEGIN with their first query instead of in
    a round trip of its own, as the driver's own ``execute_query`` does (its session's
    ``_pipelined_begin``; not public, so without it nothing changes). A failing BEGIN then
    fails that first query, which ``_retrying`` handles alike. A one-statement read costs two
    round trips instead of three: under 32 clients reading one entity each, a third of the
    API's CPU went to sending Bolt messages (docs/benchmarks.md)."""
    flag = getattr(session, "_pipelined_begin", None)
    return contextlib.nullcontext() if flag is None else flag


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
    found, _ = await single_meanwhile(tx, query, params, _nothing)
    collected = None if found is None else found[key]
    return list(collected) if collected else []


async def single_meanwhile(
    tx: AsyncManagedTransaction, query: str, params: dict[str, Any], meanwhile: Callable[[], T]
) -> tuple[neo4j.Record | None, T]:
    """The single record of one query, with ``meanwhile()`` done while the database runs it.

    ``tx.run`` returns once the database has accepted the query (the driver sends the request
    for its records with it); the database then executes it, on its own core, while this
    process does ``meanwhile``. A write of 500 evidence items spends ~20 of its ~26 ms there
    (benchmark add_evidence, docs/benchmarks.md). ``meanwhile`` must not use ``tx``; if the
    query fails, its work is dropped with the query's error.
    """
    result = await tx.run(query, params)
    done = meanwhile()
    return await result.single(), done


def _nothing() -> None:
    return None
