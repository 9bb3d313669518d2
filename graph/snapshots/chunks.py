"""A snapshot's stored content: JSON lines of one section, zlib-compressed, in
``(:SnapshotChunk)`` nodes hung off the ``(:Snapshot)``; written a few at a time, read back
in content order.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database
from schema.snapshots import SECTIONS

CHUNK_BYTES = 512 * 1024
CHUNKS_PER_WRITE = 4
CHUNKS_PER_READ = 4

WRITE_CHUNKS = """
MATCH (s:Snapshot {id: $snapshot_id}) WHERE NOT s.complete
UNWIND $chunks AS c
MERGE (s)-[:HAS_CHUNK]->(k:SnapshotChunk {snapshot_id: $snapshot_id, seq: c.seq})
SET k.section = c.section, k.count = c.count, k.data = c.data
"""

# A retried creation may have left more chunks than the finished stream has.
DROP_EXTRA_CHUNKS = """
MATCH (:Snapshot {id: $snapshot_id})-[:HAS_CHUNK]->(k:SnapshotChunk)
WHERE k.seq >= $chunk_count
DETACH DELETE k
"""

READ_CHUNKS = """
MATCH (:Snapshot {id: $id})-[:HAS_CHUNK]->(k:SnapshotChunk)
WHERE k.seq >= $from AND ($sections IS NULL OR k.section IN $sections)
RETURN k.seq AS seq, k.section AS section, k.count AS count, k.data AS data
ORDER BY k.seq
LIMIT $limit
"""


# ---------------------------------------------------------------- writing


@dataclass
class ChunkWriter:
    """Packs records into compressed chunks and writes them a few at a time.

    A batch is compressed (in a thread: zlib lets go of the GIL) and written while the next
    one fills, one write at a time and in order; a failed write surfaces at the next batch or
    at ``close``. Memory holds at most two batches, whatever the content's size.
    """

    db: Database
    snapshot_id: str
    chunk_bytes: int = CHUNK_BYTES
    seq: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    _section: str | None = None
    _lines: list[bytes] = field(default_factory=list)
    _size: int = 0
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _writing: asyncio.Task[None] | None = None

    async def add(self, section: str, record: dict[str, Any]) -> None:
        if self._section != section:
            self._seal()
            self._section = section
        line = orjson.dumps(record)
        self._lines.append(line)
        self._size += len(line) + 1
        self.counts[section] += 1
        if self._size >= self.chunk_bytes:
            self._seal()
        if len(self._pending) >= CHUNKS_PER_WRITE:
            await self._flush()

    def _seal(self) -> None:
        if not self._lines:
            return
        self._pending.append(
            {
                "seq": self.seq,
                "section": self._section,
                "count": len(self._lines),
                "data": b"\n".join(self._lines),
            }
        )
        self.seq += 1
        self._lines = []
        self._size = 0

    async def _flush(self) -> None:
        if self._pending:
            await self._settle()
            batch, self._pending = self._pending, []
            self._writing = asyncio.get_running_loop().create_task(self._write(batch))

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        chunks = await asyncio.to_thread(_compressed, batch)
        await self.db.write(_write_chunks, self.snapshot_id, chunks)

    async def _settle(self) -> None:
        """Wait for the write under way, if any (raising what it raised)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def close(self) -> int:
        """Write what is left; return the number of chunks."""
        self._seal()
        await self._flush()
        await self._settle()
        await self.db.write(_drop_extra_chunks, self.snapshot_id, self.seq)
        return self.seq

    async def abandon(self) -> None:
        """Stop the write under way (the creation failed; a retry rewrites every chunk)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing


def _compressed(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**chunk, "data": zlib.compress(chunk["data"], 6)} for chunk in batch]


async def _write_chunks(
    tx: AsyncManagedTransaction, snapshot_id: str, chunks: list[dict[str, Any]]
) -> None:
    await tx.run(WRITE_CHUNKS, snapshot_id=snapshot_id, chunks=chunks)


async def _drop_extra_chunks(tx: AsyncManagedTransaction, snapshot_id: str, count: int) -> None:
    await tx.run(DROP_EXTRA_CHUNKS, snapshot_id=snapshot_id, chunk_count=count)


# ---------------------------------------------------------------- reading


async def _chunks(
    tx: AsyncManagedTransaction,
    snapshot_id: str,
    start: int,
    sections: list[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    # The records as the driver decoded them: Record.data() walks any sequence value item by
    # item, and a chunk's compressed bytes are one, so it made a Python call per byte (most
    # of an export's time: benchmark e, docs/benchmarks.md).
    parameters = {"id": snapshot_id, "from": start, "sections": sections, "limit": limit}
    result = await tx.run(READ_CHUNKS, parameters)
    return [
        {key: record[key] for key in ("seq", "section", "count", "data")} async for record in result
    ]


async def iter_chunks(
    db: Database, snapshot_id: str, sections: list[str] | None = None
) -> AsyncIterator[tuple[str, list[bytes]]]:
    """The stored content, chunk by chunk: (section, JSON lines), in content order."""
    start = 0
    while True:
        rows = await db.read(_chunks, snapshot_id, start, sections, CHUNKS_PER_READ)
        for row in rows:
            yield row["section"], zlib.decompress(row["data"]).split(b"\n")
        if len(rows) < CHUNKS_PER_READ:
            return
        start = int(rows[-1]["seq"]) + 1


async def iter_records(
    db: Database, snapshot_id: str, sections: list[str] | None = None
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The stored content, record by record: (section, record)."""
    async for section, lines in iter_chunks(db, snapshot_id, sections):
        for line in lines:
            yield section, orjson.loads(line)
