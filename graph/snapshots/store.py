"""Snapshots: the model frozen as of a time, with its figures and fingerprint (docs/design.md §3).
Creating, finding and listing them; the front door callers import.

A ``(:Snapshot)`` node carries what a snapshot is (id, label, as-of, fingerprint, the
figures at creation); its content lives in chunks hung off it (``graph/snapshots/chunks.py``).
Content is copied, not re-derived from the graph later, because redactions and merges change
the graph in place. A snapshot is written in batches and becomes visible (``complete``) only
when its last batch commits; nothing changes it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph import audit, model_version
from graph.kit import keys
from graph.kit.connection import Database, fetch_all, fetch_one
from graph.kit.records import to_datetime
from graph.snapshots.chunks import ChunkWriter
from graph.snapshots.content import Fingerprinter, from_iso, iter_content
from graph.snapshots.quota import check as quota_check
from schema.models import Actor
from schema.snapshots import (
    SNAPSHOT_SCHEMA_VERSION,
    AsOfInFuture,
    AsOfWithoutZone,
    BadSnapshotLabel,
    NotAllowedToSnapshot,
    SnapshotInfo,
    SnapshotNotFound,
    SnapshotQuota,
)

HISTORY_LIMIT = 24

# Computes the figures stored with a snapshot: (db, as_of) -> JSON-ready dict.
FiguresFn = Callable[[Database, datetime], Awaitable[dict[str, Any]]]

SNAPSHOT_PROJECTION = """
s {.id, .label, .as_of, .created_at, .created_by, .fingerprint, .schema_version,
   .counts_json, .alignment_alpha, .alignment_units, .mean_abs_difference, .purges_json}
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
              s.complete = false, s.key_scope = split($key, ':')[0]
RETURN s.id AS id, s.as_of AS as_of, s.label AS label, s.complete AS complete
"""

EXISTING_BY_KEY = """
MATCH (s:Snapshot {idempotency_key: $key})
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
        purges=orjson.loads(row["purges_json"]) if row.get("purges_json") else [],
    )


async def _start(
    tx: AsyncManagedTransaction,
    actor: Actor,
    label: str | None,
    as_of: datetime,
    key: str | None,
    now: datetime,
    quota: SnapshotQuota | None,
) -> dict[str, Any]:
    # A retry (same key) gets its snapshot whatever the quota; only a new one counts.
    if key is not None:
        existing = await fetch_one(tx, EXISTING_BY_KEY, key=key)
        if existing is not None:
            return existing
    if quota is not None:
        await quota_check(tx, actor, quota, now)
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
        await audit.record(
            tx,
            actor,
            "createSnapshot",
            [snapshot_id],
            now,
            fingerprint[:16],
            change=model_version.NOTHING,
        )


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
    try:
        if isinstance(records, AsyncIterator):
            async for section, record in records:
                await writer.add(section, record)
        else:
            for section, record in records:
                await writer.add(section, record)
        chunk_count = await writer.close()
    except BaseException:
        await writer.abandon()
        raise
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
        raise AsOfWithoutZone(as_of)
    if as_of > now:
        raise AsOfInFuture(as_of, now)
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
    quota: SnapshotQuota | None = None,
) -> tuple[SnapshotInfo, bool]:
    """Freeze the model as of a time; return the snapshot and whether it is new.

    The same idempotency key returns the first snapshot (a creation cut short is finished by
    the retry, as of the first attempt's time, so the content comes out the same). A caller
    that gives up waiting (a request timeout) does not stop the creation: it completes and
    appears in the listing. With a ``quota``, a new snapshot past it is refused
    (``graph/snapshots/quota.py``).
    """
    if not actor.can_write:
        raise NotAllowedToSnapshot(actor.member_id)
    if label is not None and (len(label) > 200 or "\x00" in label):
        raise BadSnapshotLabel(label)
    now = now or datetime.now(UTC)
    pinned = check_as_of(as_of, now)
    # A key belongs to the author's function (graph/kit/keys.py).
    idempotency_key = keys.scoped(keys.scope_of(actor.function), idempotency_key)
    started = await db.write(_start, actor, label, pinned, idempotency_key, now, quota)
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
    try:
        async for section, record in iter_content(db, started["as_of"]):
            hasher.add(section, record)
            await writer.add(section, record)
            if on_record is not None:
                on_record(section)
        chunk_count = await writer.close()
    except BaseException:
        await writer.abandon()
        raise
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
        raise SnapshotNotFound(snapshot_id)
    return found


async def get_in(tx: AsyncManagedTransaction, snapshot_id: str) -> SnapshotInfo | None:
    row = await _get(tx, snapshot_id)
    return None if row is None else _info(row["snapshot"])


async def figures(db: Database, snapshot_id: str) -> dict[str, Any]:
    row = await db.read(fetch_one, GET_FIGURES, id=snapshot_id)
    if row is None:
        raise SnapshotNotFound(snapshot_id)
    loaded: dict[str, Any] = orjson.loads(row["figures"] or "{}")
    return loaded


async def list_page(
    tx: AsyncManagedTransaction, *, after: list[Any] | None, limit: int
) -> tuple[list[SnapshotInfo], int]:
    # ``after`` is the (ISO time, id) key of the previous page's last snapshot.
    created, last_id = (datetime.fromisoformat(after[0]), after[1]) if after else (None, None)
    rows = await fetch_all(tx, LIST_SNAPSHOTS, after_created=created, after_id=last_id, limit=limit)
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
