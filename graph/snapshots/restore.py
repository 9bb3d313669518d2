"""Restoring a snapshot file: check it, then write its content with the same ids and times.

The file is read line by line (``graph/snapshots/file.py``), so memory stays flat in its
size. The checks come first and change nothing: the format, the schema version, that the
export kept its evidence quotes, and that the content's fingerprint is the one recorded.
Then the content is written section by section in dependency order, in batches, each
record only if its id is not there yet (so a restore interrupted half-way can be rerun).
Belief sequence numbers are written as recorded and each series' counter set to its
highest, so the histories (and the fingerprint) come out the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from neo4j import AsyncManagedTransaction

from graph import decisions, entities, model_version, propositions
from graph.beliefs import series_key
from graph.kit import migrations
from graph.kit.connection import Database, fetch_all
from graph.kit.vocabulary import UNLINK_DIRECT_EDGE
from graph.snapshots import store
from graph.snapshots.content import from_iso

# Restore takes a checked file; callers open it from here (``restore.SnapshotFile(path)``).
from graph.snapshots.file import SnapshotFile as SnapshotFile
from graph.snapshots.file import as_number
from schema.decisions import BasisRecord, Decision
from schema.snapshots import SECTIONS, TIME_FIELDS, MalformedSnapshotRecord, RestoreRefused
from schema.vocabulary import EntityKind, Relation, Stance

BATCH = 500

V = TypeVar("V")

# One query per label, so each lookup uses that label's id constraint.
EXISTING: dict[str, str] = {
    "entities": "UNWIND $ids AS wanted OPTIONAL MATCH (n:Entity {id: wanted}) "
    "RETURN wanted AS id, n IS NOT NULL AS found",
    "propositions": "UNWIND $ids AS wanted OPTIONAL MATCH (n:Proposition {id: wanted}) "
    "RETURN wanted AS id, n IS NOT NULL AS found",
    "evidence": "UNWIND $ids AS wanted OPTIONAL MATCH (n:Evidence {id: wanted}) "
    "RETURN wanted AS id, n IS NOT NULL AS found",
    "beliefs": "UNWIND $ids AS wanted OPTIONAL MATCH (n:Belief {id: wanted}) "
    "RETURN wanted AS id, n IS NOT NULL AS found",
}

RESTORE_FUNCTIONS = """
UNWIND $rows AS row
MERGE (f:Function {name: row.name})
ON CREATE SET f.builtin = row.builtin, f.created_at = coalesce(row.created_at, $now),
              f.created_by = 'restore'
"""

ENTITY_EXTRAS = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
SET e.retired_by = row.retired_by, e.merged_at = row.merged_at
"""

# Once every entity is written: an account's segment, a merged entity's survivor.
LINK_ENTITIES = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
CALL {
  WITH e, row
  WITH e, row WHERE row.segment_id IS NOT NULL
  MATCH (s:Segment {id: row.segment_id})
  MERGE (e)-[:IN_SEGMENT]->(s)
}
CALL {
  WITH e, row
  WITH e, row WHERE row.merged_into IS NOT NULL
  MATCH (survivor:Entity {id: row.merged_into})
  MERGE (e)-[:MERGED_INTO]->(survivor)
}
"""

PROPOSITION_EXTRAS = """
UNWIND $rows AS row
MATCH (p:Proposition {id: row.id})
SET p.retired_by = row.retired_by, p.merged_into = row.merged_into, p.merged_at = row.merged_at
"""

LINK_MERGED_PROPOSITIONS = """
UNWIND $rows AS row
MATCH (p:Proposition {id: row.id}), (survivor:Proposition {id: row.merged_into})
MERGE (p)-[:MERGED_INTO]->(survivor)
"""

RESTORE_IMPORTS = """
UNWIND $rows AS row
MERGE (i:Import {id: row.id})
ON CREATE SET i.completed_at = row.completed_at, i.status = 'completed', i.restored = true
"""

RESTORE_EVIDENCE = """
UNWIND $rows AS row
CREATE (ev:Evidence)
SET ev = row.props
WITH ev, row
CALL {
  WITH ev, row
  UNWIND row.bears AS bearing
  MATCH (p:Proposition {id: bearing.proposition_id})
  CREATE (ev)-[:BEARS_ON {stance: bearing.stance, strength: bearing.strength,
                          magnitude: bearing.magnitude}]->(p)
}
CALL {
  WITH ev, row
  WITH ev, row WHERE row.props.account_id IS NOT NULL
  MATCH (a:Account {id: row.props.account_id})
  CREATE (ev)-[:FROM_ACCOUNT]->(a)
}
RETURN count(ev) AS written
"""

RESTORE_BELIEFS = """
UNWIND $rows AS row
MATCH (p:Proposition {id: row.props.proposition_id})
MATCH (f:Function {name: row.props.function})
CREATE (b:Belief)
SET b = row.props
CREATE (b)-[:ON]->(p)
CREATE (b)-[:OF_FUNCTION]->(f)
MERGE (s:BeliefSeries {key: row.series_key})
ON CREATE SET s.seq = 0, s.function = row.props.function,
              s.proposition_id = row.props.proposition_id
SET s.seq = CASE WHEN s.seq < row.props.seq THEN row.props.seq ELSE s.seq END
RETURN count(b) AS written
"""

# The sections written from prepared rows (``evidence_row``, ``belief_row``).
RESTORE_PREPARED: dict[str, str] = {"evidence": RESTORE_EVIDENCE, "beliefs": RESTORE_BELIEFS}


# ---------------------------------------------------------------- writing


def _times(section: str, record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    for name in TIME_FIELDS[section]:
        if name in row:
            row[name] = from_iso(row[name])
    return row


def evidence_row(record: dict[str, Any]) -> dict[str, Any]:
    row = _times("evidence", record)
    bears = [
        {
            "proposition_id": str(b["proposition_id"]),
            "stance": Stance(b["stance"]).value,
            "strength": as_number(b["strength"]),
            "magnitude": None if b.get("magnitude") is None else int(b["magnitude"]),
        }
        for b in row.pop("bears", None) or []
    ]
    return {"props": row, "bears": bears}


def belief_row(record: dict[str, Any]) -> dict[str, Any]:
    row = _times("beliefs", record)
    row["seq"] = int(row["seq"])
    row["p"] = None if row.get("p") is None else as_number(row["p"])
    row["withdrawn"] = bool(row.get("withdrawn"))
    return {"props": row, "series_key": series_key(row["function"], row["proposition_id"])}


async def _fresh(
    tx: AsyncManagedTransaction, section: str, rows: list[dict[str, Any]], ids: list[str]
) -> list[dict[str, Any]]:
    """The rows (``ids`` theirs, in order) not in the database yet: a rerun adds only those."""
    found = await fetch_all(tx, EXISTING[section], ids=ids)
    missing = {r["id"] for r in found if not r["found"]}
    return [row for row, row_id in zip(rows, ids, strict=True) if row_id in missing]


def _vocabulary(section: str, row: dict[str, Any], parse: Callable[[Any], V], name: str) -> V:
    """A vocabulary value of a record: checked with the file, but the file is read again."""
    try:
        return parse(row[name])
    except ValueError as error:
        raise MalformedSnapshotRecord(section, row["id"], str(error)) from None


async def _write_functions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await tx.run(RESTORE_FUNCTIONS, rows=rows, now=datetime.now(UTC))


async def _write_entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    chosen = await _fresh(tx, "entities", rows, [r["id"] for r in rows])
    for row in chosen:
        kind = _vocabulary("entities", row, EntityKind, "kind")
        await entities.upsert_by_id(tx, kind, row)
    if chosen:
        await tx.run(ENTITY_EXTRAS, rows=chosen)
    return len(chosen)


async def _link_entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    linked = [r for r in rows if r.get("segment_id") or r.get("merged_into")]
    await tx.run(LINK_ENTITIES, rows=linked)


async def _write_propositions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    chosen = await _fresh(tx, "propositions", rows, [r["id"] for r in rows])
    for row in chosen:
        relation = _vocabulary("propositions", row, Relation, "relation")
        await propositions.upsert(tx, row)
        if row.get("retired_at") is not None or row.get("merged_into") is not None:
            await tx.run(UNLINK_DIRECT_EDGE[relation], id=row["id"])
    if chosen:
        await tx.run(PROPOSITION_EXTRAS, rows=chosen)
    return len(chosen)


async def _link_propositions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await tx.run(LINK_MERGED_PROPOSITIONS, rows=[r for r in rows if r.get("merged_into")])


async def _write_imports(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await tx.run(RESTORE_IMPORTS, rows=rows)


async def _write_prepared(
    tx: AsyncManagedTransaction, section: str, rows: list[dict[str, Any]]
) -> int:
    """Evidence or beliefs, prepared as ``{"props": ...}`` rows, that are not there yet."""
    chosen = await _fresh(tx, section, rows, [r["props"]["id"] for r in rows])
    if chosen:
        await tx.run(RESTORE_PREPARED[section], rows=chosen)
    return len(chosen)


def decision_of(record: dict[str, Any]) -> Decision:
    """A decision record of the file as the model holds it."""
    return Decision(
        id=record["id"],
        title=record["title"],
        rationale=record.get("rationale"),
        decided_at=datetime.fromisoformat(record["decided_at"]),
        decided_by=record["decided_by"],
        function=record.get("function"),
        basis=tuple(BasisRecord(**b) for b in record["basis"]),
    )


def _batches(
    items: Iterator[tuple[str, dict[str, Any]]], size: int = BATCH
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for _, record in items:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def restore(
    db: Database,
    snapshot: SnapshotFile,
    *,
    force: bool = False,
    on_progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write a checked snapshot file's content; return how many records of each were new.

    Refuses a database that already holds entities unless ``force`` (then only what is
    missing is added: nothing already there is changed).
    """
    existing = await migrations.entity_count(db)
    if existing and not force:
        raise RestoreRefused(existing)
    snapshot.check()
    written = dict.fromkeys(SECTIONS, 0)

    def tick(section: str, count: int) -> None:
        written[section] += count
        if on_progress is not None:
            on_progress(section, count)

    for batch in _batches(snapshot.records("functions")):
        await db.write(_write_functions, [_times("functions", r) for r in batch])
        tick("functions", len(batch))
    # Segments first, so accounts link to them as they are written.
    for segments_first in (True, False):
        for batch in _batches(
            (s, r)
            for s, r in snapshot.records("entities")
            if (r.get("kind") == EntityKind.SEGMENT.value) == segments_first
        ):
            rows = [_times("entities", r) for r in batch]
            tick("entities", await db.write(_write_entities, rows))
    for batch in _batches(snapshot.records("entities")):
        await db.write(_link_entities, batch)
    for batch in _batches(snapshot.records("propositions")):
        rows = [_times("propositions", r) for r in batch]
        tick("propositions", await db.write(_write_propositions, rows))
    for batch in _batches(snapshot.records("propositions")):
        await db.write(_link_propositions, batch)
    for batch in _batches(snapshot.records("imports")):
        await db.write(_write_imports, [_times("imports", r) for r in batch])
        tick("imports", len(batch))
    for batch in _batches(snapshot.records("evidence")):
        rows = [evidence_row(r) for r in batch]
        tick("evidence", await db.write(_write_prepared, "evidence", rows))
    for batch in _batches(snapshot.records("beliefs")):
        rows = [belief_row(r) for r in batch]
        tick("beliefs", await db.write(_write_prepared, "beliefs", rows))
    for batch in _batches(snapshot.records("decisions")):
        await db.write(decisions.upsert_many, [decision_of(r) for r in batch])
        tick("decisions", len(batch))
    # The snapshot itself too, so the restored database lists it and exports it unchanged.
    await store.record_restored(
        db,
        snapshot.header.snapshot,
        snapshot.header.schema_version,
        snapshot.header.figures,
        snapshot.records(),
    )
    # Written without the audit log: readers of the shared model start again.
    await db.write(model_version.bump, model_version.EVERYTHING)
    return written
