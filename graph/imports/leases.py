"""Which import writes a row: leases, so that two imports of the same rows both end whole.

Every running import holds a lease (``lease_until`` on its ``Import`` node) that it renews
while it writes; a process that dies stops renewing, and a failed import gives its rows up at
once. When an import meets a row another unfinished import wrote:

- the holder is dead (failed, or its lease ran out): the row is taken over;
- the holder is alive and started later: the row is taken over too, and the holder is told
  (its ``takeovers`` count grows), so it waits for the older one before it completes;
- the holder is alive and started earlier: the row is left to it, and the import waits for
  that holder to complete (or die) before completing itself.

An import only ever waits for an older one, so two imports never wait for each other. It
completes, in one transaction holding its ``Import`` node's lock, only if nobody took a row
from it since it last checked all its rows; otherwise it checks them again. Takers lock the
holder's ``Import`` node before reading whether it completed, so a completed import's rows
are never taken: every acknowledged row stays visible.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database, fetch_all, fetch_one

# How often a waiting import looks at the imports it waits for.
POLL_S = 0.25

# The unfinished imports (or vanished ones) holding rows of the given keys. A resend of rows
# that completed imports wrote finds none, and costs nothing more.
HOLDERS = """
UNWIND $keys AS key
MATCH (ev:Evidence)
USING INDEX SEEK ev:Evidence(idempotency_key)
WHERE ev.idempotency_key = key AND ev.import_id IS NOT NULL AND ev.import_id <> $import_id
WITH DISTINCT ev.import_id AS holder
OPTIONAL MATCH (i:Import {id: holder})
WITH holder, i WHERE i IS NULL OR i.completed_at IS NULL
RETURN collect(holder) AS holders
"""

# Taken before reading whether a holder completed: its completion and our take-over are then
# one after the other, never interleaved. Sorted, so two takers lock in the same order. (The
# right-hand side reads the property it sets: Cypher takes the write lock before that read,
# so no take-over count is lost.)
LOCK_HOLDERS = """
UNWIND $holders AS holder
MATCH (i:Import {id: holder}) WHERE i.completed_at IS NULL
SET i.takeovers = coalesce(i.takeovers, 0)
"""

# A row is ours to take when its holder is gone, completed nothing, is dead or started after
# us. Read in a query of its own, after the locks, so every value is read after them.
CLAIM = """
UNWIND $keys AS key
MATCH (ev:Evidence)
USING INDEX SEEK ev:Evidence(idempotency_key)
WHERE ev.idempotency_key = key AND ev.import_id IS NOT NULL AND ev.import_id <> $import_id
OPTIONAL MATCH (i:Import {id: ev.import_id})
WITH ev, i WHERE i IS NULL OR i.completed_at IS NULL
WITH ev, i,
     i IS NULL OR i.status = 'failed' OR coalesce(i.lease_until < $now, true) AS dead
WITH ev, i, dead,
     dead OR i.created_at > $started OR (i.created_at = $started AND i.id > $import_id) AS take
FOREACH (_ IN CASE WHEN take THEN [1] ELSE [] END | SET ev.import_id = $import_id)
WITH i, dead, take, collect(ev.idempotency_key) AS keys
FOREACH (_ IN CASE WHEN take AND i IS NOT NULL THEN [1] ELSE [] END |
  SET i.takeovers = coalesce(i.takeovers, 0) + 1,
      i.status = CASE WHEN dead AND i.status = 'running' THEN 'interrupted' ELSE i.status END)
RETURN i.id AS holder, take, size(keys) AS rows, CASE WHEN take THEN [] ELSE keys END AS waiting
"""

HOLDER_STATE = """
MATCH (i:Import {id: $id})
RETURN i.completed_at IS NOT NULL AS completed,
       i.status = 'failed' OR coalesce(i.lease_until < $now, true) AS dead
"""

# The import is write-locked before its state is read: a renewal that read it just before
# the import completed would otherwise wait on the completion's lock, then write 'running'
# over 'complete' (seen once: a completed import read back `running`, then `interrupted`).
RENEW = """
MATCH (i:Import {id: $id})
SET i.lease_marker = true
REMOVE i.lease_marker
WITH i WHERE i.completed_at IS NULL AND i.status <> 'failed'
SET i.lease_until = $until, i.status = 'running'
"""

# Imports whose lease ran out are over: their rows wait for a resend to take them over.
EXPIRE = """
MATCH (i:Import {status: 'running'}) WHERE coalesce(i.lease_until < $now, true)
SET i.status = 'interrupted', i.interrupted_at = $now
"""


@dataclass
class Claimed:
    """What a claim found: rows taken over, and rows left to older imports still writing."""

    taken: int = 0
    waiting: dict[str, set[str]] = field(default_factory=dict)  # holder -> keys

    def merge(self, other: Claimed) -> None:
        self.taken += other.taken
        for holder, keys in other.waiting.items():
            self.waiting.setdefault(holder, set()).update(keys)


async def claim(
    tx: AsyncManagedTransaction,
    import_id: str,
    started: datetime,
    keys: list[str],
    now: datetime,
) -> Claimed:
    """Take over the rows of ``keys`` that dead or younger imports hold; report the rest."""
    claimed = Claimed()
    row = await fetch_one(tx, HOLDERS, keys=keys, import_id=import_id)
    holders = sorted(row["holders"]) if row else []
    if not holders:
        return claimed
    await tx.run(LOCK_HOLDERS, holders=holders)
    for found in await fetch_all(
        tx, CLAIM, keys=keys, import_id=import_id, started=started, now=now
    ):
        if found["take"]:
            claimed.taken += int(found["rows"])
        elif found["waiting"]:
            claimed.waiting.setdefault(str(found["holder"]), set()).update(found["waiting"])
    return claimed


async def wait_for_holders(
    db: Database,
    import_id: str,
    started: datetime,
    waiting: dict[str, set[str]],
) -> None:
    """Wait until every older import we left rows to has completed; take over the rows of
    those that died meanwhile (which may leave them to yet another older import)."""
    while waiting:
        for holder in sorted(waiting):
            state = await db.read(fetch_one, HOLDER_STATE, id=holder, now=_now())
            if state is None or state["completed"]:
                waiting.pop(holder)
            elif state["dead"]:
                keys = sorted(waiting.pop(holder))
                again = await db.write(claim, import_id, started, keys, _now())
                for other, rows in again.waiting.items():
                    waiting.setdefault(other, set()).update(rows)
        if waiting:
            await asyncio.sleep(POLL_S)


async def expire(tx: AsyncManagedTransaction, now: datetime) -> None:
    await tx.run(EXPIRE, now=now)


def until(now: datetime, lease_s: float) -> datetime:
    return now + timedelta(seconds=lease_s)


def _now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def held(db: Database, import_id: str, lease_s: float) -> AsyncIterator[None]:
    """Renew the import's lease every third of its length until the block ends."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease_s / 3)
            with contextlib.suppress(Exception):  # an outage: the next renewal tries again
                now = _now()
                await db.write(_renew, import_id, until(now, lease_s))

    task = asyncio.get_running_loop().create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _renew(tx: AsyncManagedTransaction, import_id: str, lease_until: datetime) -> None:
    await tx.run(RENEW, id=import_id, until=lease_until)
