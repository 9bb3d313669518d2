"""Snapshots: the model frozen as of a time, with its figures and fingerprint (DESIGN.md §3).

A ``(:Snapshot)`` node carries what a snapshot is (id, label, as-of, fingerprint, the
figures at creation); its content lives in ``(:SnapshotChunk)`` nodes hung off it: JSON
lines of one section, zlib-compressed, at most ``CHUNK_BYTES`` before compression. Content
is copied, not re-derived from the graph later, because redactions and merges change the
graph in place. A snapshot is written in batches and becomes visible (``complete``) only
when its last batch commits; nothing changes it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph import audit
from graph.kit.connection import Database, fetch_all, fetch_one
from graph.kit.records import to_datetime
from graph.snapshots.content import Fingerprinter, from_iso, iter_content, to_iso
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import Actor
from schema.snapshot import (
    QUOTE_FIELDS,
    SECTIONS,
    SNAPSHOT_FORMAT,
    SNAPSHOT_SCHEMA_VERSION,
    SnapshotInfo,
)

CHUNK_BYTES = 512 * 1024
CHUNKS_PER_WRITE = 4
CHUNKS_PER_READ = 4
HISTORY_LIMIT = 24

# Computes the figures stored with a snapshot: (db, as_of) -> JSON-ready dict.
FiguresFn = Callable[[Database, datetime], Awaitable[dict[str, Any]]]

SNAPSHOT_PROJECTION = """
s {.id, .label, .as_of, .created_at, .created_by, .fingerprint, .schema_version,
   .counts_json, .alignment_alpha, .alignment_units, .mean_abs_difference}
"""

CREATE_SNAPSHOT = """
CREATE (s:Snapshot {id: $id, label: $label, as_of: $as_of, created_at: $now,
                    created_by: $actor_id, schema_version: $schema_version, complete: false})
RETURN s.id AS id, s.as_of AS as_of, s.label AS label, false AS complete
"""

MERGE_SNAPSHOT_BY_KEY = """
MERGE (s:Snapshot {idempotency_key: $key})
ON CREATE SET s.id = $id, s.label = $label, s.as_of = $as_of, s.created_at = $now,
              s.created_by = $actor_id, s.schema_version = $schema_version,
              s.complete = false
RETURN s.id AS id, s.as_of AS as_of, s.label AS label, s.complete AS complete
"""

# Restore: the snapshot record as the file has it, once.
RESTORE_SNAPSHOT = """
MERGE (s:Snapshot {id: $id})
ON CREATE SET s.label = $label, s.as_of = $as_of, s.created_at = $created_at,
              s.created_by = $created_by, s.schema_version = $schema_version,
              s.complete = false, s.creation_marker = $marker
WITH s, coalesce(s.creation_marker = $marker, false) AS created
REMOVE s.creation_marker
RETURN created
"""

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

COMPLETE_SNAPSHOT = """
MATCH (s:Snapshot {id: $id}) WHERE NOT s.complete
SET s.fingerprint = $fingerprint, s.figures_json = $figures_json,
    s.counts_json = $counts_json, s.alignment_alpha = $alpha,
    s.alignment_units = $units, s.mean_abs_difference = $mean_abs_difference,
    s.chunk_count = $chunk_count, s.complete = true
RETURN s.id AS id
"""

GET_SNAPSHOT = (
    "MATCH (s:Snapshot {id: $id}) WHERE s.complete RETURN " + SNAPSHOT_PROJECTION + " AS snapshot"
)

GET_FIGURES = "MATCH (s:Snapshot {id: $id}) WHERE s.complete RETURN s.figures_json AS figures"

LIST_SNAPSHOTS = (
    """
MATCH (s:Snapshot) WHERE s.complete
  AND ($after_created IS NULL OR [s.created_at, s.id] < [$after_created, $after_id])
RETURN """
    + SNAPSHOT_PROJECTION
    + """ AS snapshot
ORDER BY s.created_at DESC, s.id DESC
LIMIT $limit
"""
)

COUNT_SNAPSHOTS = "MATCH (s:Snapshot) WHERE s.complete RETURN count(s) AS total"

# The alignment index of the snapshots as of this one's time or before, oldest first.
HISTORY = """
MATCH (s:Snapshot) WHERE s.complete AND s.as_of <= $as_of
WITH s ORDER BY s.as_of DESC, s.created_at DESC LIMIT $limit
RETURN s.id AS id, s.label AS label, s.as_of AS as_of, s.alignment_alpha AS alpha,
       s.alignment_units AS units, s.mean_abs_difference AS mean_abs_difference
ORDER BY as_of, id
"""

READ_CHUNKS = """
MATCH (:Snapshot {id: $id})-[:HAS_CHUNK]->(k:SnapshotChunk)
WHERE k.seq >= $from AND ($sections IS NULL OR k.section IN $sections)
RETURN k.seq AS seq, k.section AS section, k.count AS count, k.data AS data
ORDER BY k.seq
LIMIT $limit
"""


# ---------------------------------------------------------------- writing chunks


@dataclass
class ChunkWriter:
    """Packs records into compressed chunks and writes them a few at a time."""

    db: Database
    snapshot_id: str
    chunk_bytes: int = CHUNK_BYTES
    seq: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    _section: str | None = None
    _lines: list[bytes] = field(default_factory=list)
    _size: int = 0
    _pending: list[dict[str, Any]] = field(default_factory=list)

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
                "data": zlib.compress(b"\n".join(self._lines), 6),
            }
        )
        self.seq += 1
        self._lines = []
        self._size = 0

    async def _flush(self) -> None:
        if self._pending:
            await self.db.write(_write_chunks, self.snapshot_id, self._pending)
            self._pending = []

    async def close(self) -> int:
        """Write what is left; return the number of chunks."""
        self._seal()
        await self._flush()
        await self.db.write(_drop_extra_chunks, self.snapshot_id, self.seq)
        return self.seq


async def _write_chunks(
    tx: AsyncManagedTransaction, snapshot_id: str, chunks: list[dict[str, Any]]
) -> None:
    await tx.run(WRITE_CHUNKS, snapshot_id=snapshot_id, chunks=chunks)


async def _drop_extra_chunks(tx: AsyncManagedTransaction, snapshot_id: str, count: int) -> None:
    await tx.run(DROP_EXTRA_CHUNKS, snapshot_id=snapshot_id, chunk_count=count)


# ---------------------------------------------------------------- creating


def _info(row: dict[str, Any]) -> SnapshotInfo:
    counts = orjson.loads(row["counts_json"]) if row.get("counts_json") else {}
    return SnapshotInfo(
        id=row["id"],
        label=row.get("label"),
        as_of=to_datetime(row["as_of"]),
        created_at=to_datetime(row["created_at"]),
        created_by=row["created_by"],
        fingerprint=row["fingerprint"],
        schema_version=int(row["schema_version"]),
        counts=counts,
        alignment_alpha=row.get("alignment_alpha"),
        alignment_units=int(row.get("alignment_units") or 0),
        mean_abs_difference=row.get("mean_abs_difference"),
    )


async def _start(
    tx: AsyncManagedTransaction,
    actor: Actor,
    label: str | None,
    as_of: datetime,
    key: str | None,
    now: datetime,
) -> dict[str, Any]:
    params = {
        "id": f"snap-{uuid.uuid4().hex[:16]}",
        "label": label,
        "as_of": as_of,
        "now": now,
        "actor_id": actor.member_id,
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        "key": key,
    }
    row = await fetch_one(tx, CREATE_SNAPSHOT if key is None else MERGE_SNAPSHOT_BY_KEY, **params)
    assert row is not None
    return row


async def _complete(
    tx: AsyncManagedTransaction,
    actor: Actor,
    snapshot_id: str,
    fingerprint: str,
    figures: dict[str, Any],
    counts: dict[str, int],
    chunk_count: int,
    now: datetime,
) -> None:
    alignment = figures.get("alignment") or {}
    row = await fetch_one(
        tx,
        COMPLETE_SNAPSHOT,
        id=snapshot_id,
        fingerprint=fingerprint,
        figures_json=orjson.dumps(figures).decode(),
        counts_json=orjson.dumps(counts).decode(),
        alpha=alignment.get("alpha"),
        units=int(alignment.get("units") or 0),
        mean_abs_difference=alignment.get("mean_abs_difference"),
        chunk_count=chunk_count,
    )
    if row is not None:
        await audit.record(tx, actor, "createSnapshot", [snapshot_id], now, fingerprint[:16])


async def _restore_start(
    tx: AsyncManagedTransaction, snapshot: dict[str, Any], schema_version: int
) -> bool:
    row = await fetch_one(
        tx,
        RESTORE_SNAPSHOT,
        id=snapshot["id"],
        label=snapshot.get("label"),
        as_of=from_iso(snapshot["as_of"]),
        created_at=from_iso(snapshot["created_at"]),
        created_by=snapshot["created_by"],
        schema_version=schema_version,
        marker=uuid.uuid4().hex,
    )
    return bool(row and row["created"])


async def record_restored(
    db: Database,
    snapshot: dict[str, Any],
    schema_version: int,
    figures: dict[str, Any],
    records: AsyncIterator[tuple[str, dict[str, Any]]] | Iterable[tuple[str, dict[str, Any]]],
) -> bool:
    """Record a restored file's snapshot itself (same id, times, figures, content), so the
    restored database lists it and exports it byte for byte; False when it is already there."""
    if not await db.write(_restore_start, snapshot, schema_version):
        return False
    writer = ChunkWriter(db, snapshot["id"])
    if isinstance(records, AsyncIterator):
        async for section, record in records:
            await writer.add(section, record)
    else:
        for section, record in records:
            await writer.add(section, record)
    chunk_count = await writer.close()
    await db.write(
        _complete,
        Actor.system(),
        snapshot["id"],
        snapshot["fingerprint"],
        figures,
        writer.counts,
        chunk_count,
        datetime.now(UTC),
    )
    return True


def check_as_of(as_of: datetime | None, now: datetime) -> datetime:
    """The as-of time of a new snapshot: now by default, never in the future."""
    if as_of is None:
        return now
    if as_of.tzinfo is None:
        raise BadInput("asOf needs a time zone (e.g. 2026-06-30T00:00:00Z)")
    if as_of > now:
        raise BadInput("asOf is in the future: a snapshot freezes what is known, not what may be")
    return as_of.astimezone(UTC)


async def create(
    db: Database,
    actor: Actor,
    figures_fn: FiguresFn,
    *,
    label: str | None = None,
    as_of: datetime | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    on_record: Callable[[str], None] | None = None,
) -> tuple[SnapshotInfo, bool]:
    """Freeze the model as of a time; return the snapshot and whether it is new.

    The same idempotency key returns the first snapshot (a creation cut short is finished by
    the retry, as of the first attempt's time, so the content comes out the same). A caller
    that gives up waiting (a request timeout) does not stop the creation: it completes and
    appears in the listing.
    """
    if not actor.can_write:
        raise Forbidden("viewers may read but not create snapshots")
    if label is not None and (len(label) > 200 or "\x00" in label):
        raise BadInput("a label is at most 200 characters")
    now = now or datetime.now(UTC)
    pinned = check_as_of(as_of, now)
    started = await db.write(_start, actor, label, pinned, idempotency_key, now)
    snapshot_id = str(started["id"])
    if started["complete"]:
        return await get(db, snapshot_id), False
    # The work runs as its own task: a request that times out or is dropped does not stop
    # it, and a retry with the same idempotency key in this process waits for it.
    task = _RUNNING.get(snapshot_id)
    joined = task is not None
    if task is None:
        task = asyncio.get_running_loop().create_task(
            _fill(db, actor, snapshot_id, started, figures_fn, now, on_record)
        )
        _RUNNING[snapshot_id] = task
        task.add_done_callback(lambda _: _RUNNING.pop(snapshot_id, None))
    await asyncio.shield(task)
    return await get(db, snapshot_id), not joined


_RUNNING: dict[str, asyncio.Task[None]] = {}


async def _fill(
    db: Database,
    actor: Actor,
    snapshot_id: str,
    started: dict[str, Any],
    figures_fn: FiguresFn,
    now: datetime,
    on_record: Callable[[str], None] | None,
) -> None:
    """Write the content chunks, compute the figures, and mark the snapshot complete."""
    pinned_as_of = to_datetime(started["as_of"])
    assert pinned_as_of is not None
    writer = ChunkWriter(db, snapshot_id)
    hasher = Fingerprinter()
    async for section, record in iter_content(db, started["as_of"]):
        hasher.add(section, record)
        await writer.add(section, record)
        if on_record is not None:
            on_record(section)
    chunk_count = await writer.close()
    figures = await figures_fn(db, pinned_as_of)
    alignment = figures.get("alignment") or {}
    # The past snapshots' alignment index, and this one's, frozen with the figures.
    figures["history"] = [
        *(h for h in await history(db, pinned_as_of) if h["id"] != snapshot_id),
        {
            "id": snapshot_id,
            "label": started["label"],
            "as_of": pinned_as_of.isoformat(),
            "alpha": alignment.get("alpha"),
            "units": int(alignment.get("units") or 0),
            "mean_abs_difference": alignment.get("mean_abs_difference"),
        },
    ]
    await db.write(
        _complete,
        actor,
        snapshot_id,
        hasher.hexdigest(),
        figures,
        writer.counts,
        chunk_count,
        now,
    )


# ---------------------------------------------------------------- reading


async def _get(tx: AsyncManagedTransaction, snapshot_id: str) -> dict[str, Any] | None:
    return await fetch_one(tx, GET_SNAPSHOT, id=snapshot_id)


async def find(db: Database, snapshot_id: str) -> SnapshotInfo | None:
    row = await db.read(_get, snapshot_id)
    return None if row is None else _info(row["snapshot"])


async def get(db: Database, snapshot_id: str) -> SnapshotInfo:
    found = await find(db, snapshot_id)
    if found is None:
        raise NotFound("snapshot", snapshot_id)
    return found


async def get_in(tx: AsyncManagedTransaction, snapshot_id: str) -> SnapshotInfo | None:
    row = await _get(tx, snapshot_id)
    return None if row is None else _info(row["snapshot"])


async def figures(db: Database, snapshot_id: str) -> dict[str, Any]:
    row = await db.read(fetch_one, GET_FIGURES, id=snapshot_id)
    if row is None:
        raise NotFound("snapshot", snapshot_id)
    loaded: dict[str, Any] = orjson.loads(row["figures"] or "{}")
    return loaded


async def list_page(
    tx: AsyncManagedTransaction, *, after: list[Any] | None, limit: int
) -> tuple[list[SnapshotInfo], int]:
    rows = await fetch_all(
        tx,
        LIST_SNAPSHOTS,
        after_created=datetime.fromisoformat(after[0]) if after else None,
        after_id=after[1] if after else None,
        limit=limit,
    )
    total = await fetch_one(tx, COUNT_SNAPSHOTS)
    return [_info(r["snapshot"]) for r in rows], int(total["total"] if total else 0)


async def history(
    db: Database, as_of: datetime, limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """The alignment index of past snapshots (as of this time or before), oldest first."""
    rows = await db.read(fetch_all, HISTORY, as_of=as_of, limit=limit)
    return [
        {
            "id": r["id"],
            "label": r["label"],
            "as_of": to_datetime(r["as_of"]).isoformat(),  # type: ignore[union-attr]
            "alpha": r["alpha"],
            "units": int(r["units"] or 0),
            "mean_abs_difference": r["mean_abs_difference"],
        }
        for r in rows
    ]


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


def without_quotes(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, **dict.fromkeys(QUOTE_FIELDS)}


# ---------------------------------------------------------------- the JSON file


def header(info: SnapshotInfo, figures: dict[str, Any], *, quotes: bool) -> dict[str, Any]:
    """Everything in the file but the content."""
    if not quotes:
        figures = strip_figure_quotes(figures)
    return {
        "format": SNAPSHOT_FORMAT,
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        "snapshot": {
            "id": info.id,
            "label": info.label,
            "as_of": _iso(info.as_of),
            "created_at": _iso(info.created_at),
            "created_by": info.created_by,
            "fingerprint": info.fingerprint,
        },
        "quotes": quotes,
        "figures": figures,
    }


def _iso(value: datetime) -> str:
    text = to_iso(value)
    assert text is not None
    return text


def strip_figure_quotes(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the evidence quotes they carry (for outside audiences)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (None if k in QUOTE_FIELDS else strip(v))
                for k, v in value.items()
                if k != "quotes"
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    stripped: dict[str, Any] = strip(figures)
    return stripped


async def iter_json(db: Database, snapshot_id: str, *, quotes: bool = True) -> AsyncIterator[bytes]:
    """The snapshot file, piece by piece: one record per line, memory flat in its size.

    The layout (a header line, a line per section start and per record) is still plain
    JSON; ``graph/snapshots/restore.py`` reads it line by line.
    """
    info = await get(db, snapshot_id)
    top = header(info, await figures(db, snapshot_id), quotes=quotes)
    head = orjson.dumps({**top, "content": {}})
    yield head[: -len(b"{}}")] + b"{\n"
    current: str | None = None
    wrote_record = False
    opened: list[str] = []

    def open_section(name: str) -> bytes:
        prefix = b"" if not opened else b"\n],\n"
        opened.append(name)
        return prefix + orjson.dumps(name) + b":[\n"

    async for section, lines in iter_chunks(db, snapshot_id):
        pieces: list[bytes] = []
        while current != section:
            current = SECTIONS[len(opened)]
            pieces.append(open_section(current))
            wrote_record = False
        for line in lines:
            if not quotes and section == "evidence":
                line = orjson.dumps(without_quotes(orjson.loads(line)))
            pieces.append((b",\n" if wrote_record else b"") + line)
            wrote_record = True
        yield b"".join(pieces)
    tail: list[bytes] = []
    while len(opened) < len(SECTIONS):
        tail.append(open_section(SECTIONS[len(opened)]))
    tail.append(b"\n]}}\n")
    yield b"".join(tail)
