"""Reads marked ``one_statement`` run as queries of their own, with what a read promises."""

from __future__ import annotations

import pytest
from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database, fetch_one, one_statement

ADD_NOTE = "CREATE (:OneStatementNote {n: $n})"
COUNT_NOTES = "MATCH (n:OneStatementNote) RETURN count(n) AS notes"


@one_statement
async def _notes(tx: AsyncManagedTransaction) -> int:
    row = await fetch_one(tx, COUNT_NOTES)
    assert row is not None
    return int(row["notes"])


@one_statement
async def _twice(tx: AsyncManagedTransaction) -> None:
    await tx.run(COUNT_NOTES)
    await tx.run(COUNT_NOTES)


async def _add(tx: AsyncManagedTransaction, n: int) -> None:
    await tx.run(ADD_NOTE, n=n)


async def test_a_one_statement_read_sees_the_writes_behind_its_bookmarks(db: Database) -> None:
    assert await db.read(_notes) == 0
    for n in range(3):
        _, bookmarks = await db.write_with_bookmark(_add, n)
        assert await db.read_after(bookmarks, _notes) == n + 1
    # Called inside another transaction, it is an ordinary function of that transaction.
    assert await db.write(_notes) == 3


async def test_a_one_statement_read_that_runs_two_is_refused(db: Database) -> None:
    with pytest.raises(RuntimeError, match="second statement"):
        await db.read(_twice)
