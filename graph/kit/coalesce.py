"""Reads by key from concurrent requests, gathered into one query.

A tool that looks up one thing per request (an entity by id, from 32 connections at once)
pays a database round trip per request, and in this process most of that round trip is the
driver's Python: packing the query, reading its answer. ``Coalesced`` lets requests of one
process share it. The first key asked for goes out at the next turn of the event loop with
whatever else was asked for in that turn; while two reads are in flight, the keys that
arrive wait and go together in the next one. At one request at a time nothing changes (each read
carries one key); under load a read carries as many keys as arrived while the last one was
answered, so the round trips per request fall as the load rises.

What a request sees is what it would see alone: every read starts after the requests it
answers arrived, so each sees every write committed before it began. A request that must
see a write of its own on another member of a cluster (it sends a bookmark) reads alone.
A request that gives up does not cancel the read the others wait for.

``read_now`` does the same for a read without keys (the model version every request
checks first): the callers of one turn of the event loop share one read.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The most keys one read carries: a burst larger than this goes in several reads, one after
# another, so no single query grows with the load.
MOST_KEYS = 200


# How many reads one process may have in flight per event loop and function: more than one,
# so that a slow read (a retry, a busy database) does not hold up every other lookup behind
# it, and a request arriving just after a read went out need not wait for it; few, so that
# under load each read still carries many keys.
IN_FLIGHT = 2


@dataclass
class _Pending(Generic[K, V]):
    """The keys waiting on one event loop, and the reads under way there."""

    waiting: dict[K, list[asyncio.Future[V | None]]] = field(default_factory=dict)
    reads: set[asyncio.Task[None]] = field(default_factory=set)  # kept: a task's only owner


class Coalesced(Generic[K, V]):
    """``read_many(keys)`` (a dict of the keys found) shared by the concurrent ``get``s."""

    def __init__(
        self,
        read_many: Callable[[list[K]], Awaitable[dict[K, V]]],
        most: int = MOST_KEYS,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self._read_many = read_many
        self._most = most
        self._in_flight = in_flight
        self._pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pending[K, V]] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, key: K) -> V | None:
        """The value read for ``key``, None when none was found."""
        loop = asyncio.get_running_loop()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = _Pending()
        answer: asyncio.Future[V | None] = loop.create_future()
        pending.waiting.setdefault(key, []).append(answer)
        if len(pending.reads) < self._in_flight:
            # A task of its own, outside the caller's context: a first requester who gives up
            # does not cancel the read the others wait for.
            read = loop.create_task(self._drain(pending), context=contextvars.Context())
            pending.reads.add(read)
            read.add_done_callback(pending.reads.discard)
        return await answer

    async def _drain(self, pending: _Pending[K, V]) -> None:
        try:
            while pending.waiting:
                keys = list(itertools.islice(pending.waiting, self._most))
                batch = {key: pending.waiting.pop(key) for key in keys}
                try:
                    found = await self._read_many(keys)
                except Exception as error:  # every request of the batch fails alike
                    for answers in batch.values():
                        _settle(answers, error=error)
                    continue
                except BaseException:  # cancelled (the server stopping): so are they
                    for answers in batch.values():
                        _settle(answers, cancel=True)
                    raise
                for key, answers in batch.items():
                    _settle(answers, found.get(key))
        finally:
            if len(pending.reads) <= 1:  # left by a cancelled read, with no other to take them
                for answers in pending.waiting.values():
                    _settle(answers, cancel=True)
                pending.waiting.clear()


def _settle(
    answers: list[asyncio.Future[V | None]],
    value: V | None = None,
    *,
    error: Exception | None = None,
    cancel: bool = False,
) -> None:
    for answer in answers:
        if answer.done():  # its request gave up
            continue
        if cancel:
            answer.cancel()
        elif error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(value)


_shared: weakref.WeakKeyDictionary[Database, dict[Any, Coalesced[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)
_shared_lock = threading.Lock()


def read_together(
    db: Database, get_many: Callable[[AsyncManagedTransaction, list[K]], Awaitable[dict[K, V]]]
) -> Coalesced[K, V]:
    """This process's reads of ``get_many`` (keys to the values found) on ``db``, gathered
    across concurrent requests; one per database connection and function."""
    with _shared_lock:
        kept = _shared.setdefault(db, {})
        found = kept.get(get_many)
        if found is None:

            async def read_many(keys: list[K]) -> dict[K, V]:
                return await db.read(get_many, keys)

            found = kept[get_many] = Coalesced(read_many)
        return found


async def read_now(db: Database, read: Callable[[AsyncManagedTransaction], Awaitable[V]]) -> V:
    """What ``read`` answers now: one read, begun after this call, shared with the callers
    of the same ``read`` that came meanwhile. For the small reads every request of a kind
    makes first (the model version, the stamps a page polls), which thirty-two pages
    opened together would otherwise make thirty-two times."""
    with _shared_lock:
        kept = _shared.setdefault(db, {})
        found = kept.get((read_now, read))
        if found is None:

            async def read_many(keys: list[None]) -> dict[None, Any]:
                return dict.fromkeys(keys, await db.read(read))

            found = kept[(read_now, read)] = Coalesced(read_many)
    # The one key, None, is always answered: its value is never the "not found" None.
    return cast(V, await found.get(None))
