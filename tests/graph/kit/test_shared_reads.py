"""Model reads queued together share one transaction, and never serve stale data."""

from __future__ import annotations

import asyncio
from datetime import datetime

from neo4j import AsyncManagedTransaction

from graph.kit.connection import MODEL_READ_SLOTS, Database, fetch_one
from schema.errors import NotFound

COUNT_NOTES = "MATCH (n:SharedReadNote) RETURN count(n) AS notes"
ADD_NOTE = "CREATE (:SharedReadNote {n: $n})"


async def _notes(tx: AsyncManagedTransaction, _started_at: datetime) -> int:
    row = await fetch_one(tx, COUNT_NOTES)
    assert row is not None
    return int(row["notes"])


async def _add_note(tx: AsyncManagedTransaction, n: int) -> None:
    await tx.run(ADD_NOTE, n=n)


async def test_requests_queued_together_share_one_whole_model_read(db: Database) -> None:
    shared_reads = 0
    started: list[datetime] = []

    async def whole(tx: AsyncManagedTransaction, started_at: datetime) -> int:
        nonlocal shared_reads
        shared_reads += 1
        started.append(started_at)
        return await _notes(tx, started_at)

    def own(n: int) -> object:
        async def work(tx: AsyncManagedTransaction, common: int, started_at: datetime) -> object:
            if n == 3:
                raise NotFound("segment", "seg-gone")
            return (n, common, started_at)

        return work

    await db.write(_add_note, 1)
    answers = await asyncio.gather(
        *(db.read_model_shared("notes", None, whole, own(n)) for n in range(10)),
        return_exceptions=True,
    )
    # One read of the shared part for all ten; each request got its own answer, and the one
    # whose own part failed failed alone.
    assert shared_reads == 1
    assert isinstance(answers[3], NotFound)
    assert [a for n, a in enumerate(answers) if n != 3] == [
        (n, 1, started[0]) for n in range(10) if n != 3
    ]


async def test_a_request_never_joins_a_read_that_began_before_it(db: Database) -> None:
    # A batch already running cannot see a write acknowledged after it began, so a request
    # that arrives after that write must wait for a read of its own.
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow(tx: AsyncManagedTransaction, started_at: datetime) -> int:
        notes = await _notes(tx, started_at)
        inside.set()
        await release.wait()
        return notes

    async def fast(tx: AsyncManagedTransaction, started_at: datetime) -> int:
        return await _notes(tx, started_at)

    async def just_common(tx: AsyncManagedTransaction, common: int, _at: datetime) -> int:
        return common

    early = asyncio.create_task(db.read_model_shared("notes", None, slow, just_common))
    await asyncio.wait_for(inside.wait(), 10)
    await db.write(_add_note, 1)
    late = asyncio.create_task(db.read_model_shared("notes", None, fast, just_common))
    assert MODEL_READ_SLOTS >= 2  # the late read takes the other slot
    assert await asyncio.wait_for(late, 10) == 1
    release.set()
    assert await asyncio.wait_for(early, 10) == 0


async def test_a_requester_who_hangs_up_does_not_stop_the_others(db: Database) -> None:
    gate = asyncio.Event()

    async def gated(tx: AsyncManagedTransaction, started_at: datetime) -> int:
        await gate.wait()
        return await _notes(tx, started_at)

    async def just_common(tx: AsyncManagedTransaction, common: int, _at: datetime) -> int:
        return common

    first = asyncio.create_task(db.read_model_shared("notes", None, gated, just_common))
    second = asyncio.create_task(db.read_model_shared("notes", None, gated, just_common))
    await asyncio.sleep(0.05)
    first.cancel()  # the page that started the read is closed
    gate.set()
    assert await asyncio.wait_for(second, 10) == 0
