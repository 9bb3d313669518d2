"""Taking things out of stored snapshots, for admins only and always audited: deleting a
whole snapshot, and purging a redacted evidence item's text and key from the snapshots taken
before its redaction (docs/snapshots.md).

A snapshot is otherwise immutable. A purge rewrites only the record of the item (and the
quotes of it in the snapshot's figures), recomputes the fingerprint over the whole content,
and records the change (old and new fingerprint, who, when, why) in the snapshot itself and
in the audit log. The purged record then reads as a snapshot taken after the redaction
would hold it.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph import audit, model_version
from graph.kit.connection import Database, fetch_all, fetch_one, unstorable_text
from graph.snapshots import store
from graph.snapshots.chunks import iter_records
from graph.snapshots.content import Fingerprinter, carried_key, to_iso
from schema.errors import Conflict, ReasonRequired
from schema.evidence import EvidenceNotFound
from schema.models import Actor
from schema.snapshots import (
    EvidenceNotRedacted,
    NotAnAdminForSnapshots,
    SnapshotInfo,
    SnapshotNotFound,
    SnapshotPurge,
)
from schema.vocabulary import Role

DELETE_SNAPSHOT = """
MATCH (s:Snapshot {id: $id}) WHERE s.complete
CALL {
  WITH s
  MATCH (s)-[:HAS_CHUNK]->(k:SnapshotChunk)
  DETACH DELETE k
}
DETACH DELETE s
"""

# The item as it is now: what every snapshot taken from now on holds of it.
REDACTED_ITEM = """
MATCH (ev:Evidence {id: $id})
RETURN ev.redacted_at AS redacted_at, ev.redact_reason AS redact_reason,
       ev.redacted_by AS redacted_by, ev.idempotency_key AS idempotency_key
"""

SNAPSHOT_IDS = """
MATCH (s:Snapshot) WHERE s.complete
RETURN s.id AS id ORDER BY s.created_at, s.id
"""

EVIDENCE_CHUNKS = """
MATCH (:Snapshot {id: $id})-[:HAS_CHUNK]->(k:SnapshotChunk {section: $section})
RETURN k.seq AS seq, k.data AS data
ORDER BY k.seq
"""

STORED = """
MATCH (s:Snapshot {id: $id}) WHERE s.complete
RETURN s.fingerprint AS fingerprint, s.figures_json AS figures, s.purges_json AS purges
"""

# Written only if no other purge changed the snapshot since it was read.
REWRITE_SNAPSHOT = """
MATCH (s:Snapshot {id: $id}) WHERE s.complete AND s.fingerprint = $before
SET s.fingerprint = $after, s.figures_json = $figures_json, s.purges_json = $purges_json
RETURN s.id AS id
"""

REWRITE_CHUNKS = """
UNWIND $chunks AS c
MATCH (:Snapshot {id: $id})-[:HAS_CHUNK]->(k:SnapshotChunk {seq: c.seq})
SET k.data = c.data
"""

ATTEMPTS = 3


def _need_admin(actor: Actor, action: str, reason: str) -> None:
    if actor.role is not Role.ADMIN:
        raise NotAnAdminForSnapshots(actor.member_id, action)
    if not reason.strip():
        raise ReasonRequired(action)
    try:
        reason.encode("utf-8")  # it is written into the snapshot's purges before the driver sees it
    except UnicodeEncodeError as error:
        raise unstorable_text(error) from None


# ---------------------------------------------------------------- deleting


async def delete(
    tx: AsyncManagedTransaction, actor: Actor, snapshot_id: str, reason: str, now: datetime
) -> SnapshotInfo:
    """Delete a snapshot and its content (admins, with a reason); return what it was."""
    _need_admin(actor, "delete snapshots", reason)
    found = await store.get_in(tx, snapshot_id)
    if found is None:
        raise SnapshotNotFound(snapshot_id)
    await tx.run(DELETE_SNAPSHOT, id=found.id)
    what = f"{found.label or 'unlabelled'}, as of {found.as_of.isoformat()}"
    detail = f"{reason[:200]} ({what}; fingerprint {found.fingerprint})"
    await audit.record(
        tx, actor, "deleteSnapshot", [found.id], now, detail, change=model_version.NOTHING
    )
    return found


# ---------------------------------------------------------------- purging


def _purged(record: dict[str, Any], now_holds: dict[str, Any]) -> dict[str, Any]:
    """The item's record as a snapshot taken now holds it: no text, the redaction, the key
    as the item now has it (never a raw key)."""
    return {
        **record,
        "summary": None,
        "source_ref": None,
        "redacted_at": to_iso(now_holds["redacted_at"]),
        "redact_reason": now_holds["redact_reason"],
        "redacted_by": now_holds["redacted_by"],
        "idempotency_key": carried_key(now_holds["idempotency_key"], redacted=True),
    }


def _without_quotes_of(value: Any, evidence_id: str) -> Any:
    """The figures without any quote of this item."""
    if isinstance(value, dict):
        return {
            k: (
                [q for q in v if not (isinstance(q, dict) and q.get("id") == evidence_id)]
                if k == "quotes" and isinstance(v, list)
                else _without_quotes_of(v, evidence_id)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_quotes_of(v, evidence_id) for v in value]
    return value


async def _rewritten_chunks(
    db: Database, snapshot_id: str, evidence_id: str, now_holds: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The evidence chunks of the snapshot that hold the item, rewritten, and its new record
    (None when the snapshot does not hold it or already holds it as purged)."""
    needle = orjson.dumps(evidence_id)
    changed: list[dict[str, Any]] = []
    new_record = None
    for row in await db.read(fetch_all, EVIDENCE_CHUNKS, id=snapshot_id, section="evidence"):
        lines = zlib.decompress(row["data"]).split(b"\n")
        if needle not in b"".join(lines):
            continue
        for n, line in enumerate(lines):
            record = orjson.loads(line)
            if record.get("id") != evidence_id:
                continue
            purged = _purged(record, now_holds)
            if purged != record:
                lines[n] = orjson.dumps(purged)
                changed.append({"seq": row["seq"], "data": zlib.compress(b"\n".join(lines), 6)})
                new_record = purged
    return changed, new_record


async def _fingerprint(
    db: Database, snapshot_id: str, evidence_id: str, replacement: dict[str, Any] | None
) -> str:
    hasher = Fingerprinter()
    records: AsyncIterator[tuple[str, dict[str, Any]]] = iter_records(db, snapshot_id)
    async for section, record in records:
        if replacement is not None and section == "evidence" and record["id"] == evidence_id:
            record = replacement
        hasher.add(section, record)
    return hasher.hexdigest()


async def _write(
    tx: AsyncManagedTransaction,
    actor: Actor,
    snapshot_id: str,
    before: str,
    after: str,
    figures: dict[str, Any],
    purges: list[dict[str, Any]],
    chunks: list[dict[str, Any]],
    evidence_id: str,
    reason: str,
    now: datetime,
) -> bool:
    row = await fetch_one(
        tx,
        REWRITE_SNAPSHOT,
        id=snapshot_id,
        before=before,
        after=after,
        figures_json=orjson.dumps(figures).decode(),
        purges_json=orjson.dumps(purges).decode(),
    )
    if row is None:
        return False
    if chunks:
        await tx.run(REWRITE_CHUNKS, id=snapshot_id, chunks=chunks)
    detail = f"{reason[:200]} (evidence {evidence_id}; fingerprint {before} -> {after})"
    await audit.record(
        tx,
        actor,
        "purgeRedactedFromSnapshots",
        [snapshot_id, evidence_id],
        now,
        detail,
        change=model_version.NOTHING,
    )
    return True


async def _purge_one(
    db: Database,
    actor: Actor,
    snapshot_id: str,
    evidence_id: str,
    now_holds: dict[str, Any],
    reason: str,
    now: datetime,
) -> bool:
    """Purge the item from one snapshot; whether the snapshot changed."""
    for _ in range(ATTEMPTS):
        stored = await db.read(fetch_one, STORED, id=snapshot_id)
        if stored is None:  # deleted meanwhile
            return False
        chunks, record = await _rewritten_chunks(db, snapshot_id, evidence_id, now_holds)
        figures = orjson.loads(stored["figures"] or "{}")
        cleaned = _without_quotes_of(figures, evidence_id)
        if not chunks and cleaned == figures:
            return False
        before = str(stored["fingerprint"])
        after = await _fingerprint(db, snapshot_id, evidence_id, record) if chunks else before
        purge = SnapshotPurge(
            evidence_id=evidence_id,
            at=now,
            by=actor.member_id,
            reason=reason,
            fingerprint_before=before,
            fingerprint_after=after,
        )
        purges = [*orjson.loads(stored["purges"] or "[]"), purge.model_dump(mode="json")]
        args = (snapshot_id, before, after, cleaned, purges, chunks, evidence_id, reason, now)
        if await db.write(_write, actor, *args):
            return True
    raise Conflict(f"snapshot {snapshot_id!r} kept changing during the purge; try again")


async def purge_redacted(
    db: Database, actor: Actor, evidence_id: str, reason: str, now: datetime
) -> list[SnapshotInfo]:
    """Take a redacted item's text and key out of every stored snapshot that still holds
    them (admins, with a reason); return the snapshots that changed, as they are now."""
    _need_admin(actor, "purge redacted evidence from snapshots", reason)
    now_holds = await db.read(fetch_one, REDACTED_ITEM, id=evidence_id)
    if now_holds is None:
        raise EvidenceNotFound(evidence_id)
    if now_holds["redacted_at"] is None:
        raise EvidenceNotRedacted(evidence_id)
    changed = []
    for row in await db.read(fetch_all, SNAPSHOT_IDS):
        if await _purge_one(db, actor, row["id"], evidence_id, now_holds, reason, now):
            changed.append(await store.get(db, row["id"]))
    return changed
