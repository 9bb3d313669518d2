"""Restoring a snapshot file: check it, then write its content with the same ids and times.

The file is read line by line (the layout ``graph/snapshots.iter_json`` writes), so memory
stays flat in its size; a file reformatted by another tool is still accepted, read whole.
The checks come first and change nothing: the format, the schema version, that the
export kept its evidence quotes, and that the content's fingerprint is the one recorded.
Then the content is written section by section in dependency order, in batches, each
record only if its id is not there yet (so a restore interrupted half-way can be rerun).
Belief sequence numbers are written as recorded and each series' counter set to its
highest, so the histories (and the fingerprint) come out the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph import entities, propositions
from graph.beliefs import series_key
from graph.kit import migrations
from graph.kit.connection import Database, fetch_all
from graph.kit.vocabulary import UNLINK_DIRECT_EDGE
from graph.snapshots import store as snapshots
from graph.snapshots.content import Fingerprinter, from_iso
from schema.errors import BadInput, Conflict
from schema.snapshot import SECTIONS, SNAPSHOT_FORMAT, SNAPSHOT_SCHEMA_VERSION, TIME_FIELDS
from schema.vocabulary import EntityKind, Relation, Stance

BATCH = 500

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

LINK_SEGMENTS = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id}), (s:Segment {id: row.segment_id})
MERGE (e)-[:IN_SEGMENT]->(s)
"""

LINK_MERGED_ENTITIES = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id}), (survivor:Entity {id: row.merged_into})
MERGE (e)-[:MERGED_INTO]->(survivor)
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


@dataclass(frozen=True)
class FileHeader:
    snapshot: dict[str, Any]
    quotes: bool
    figures: dict[str, Any]
    schema_version: int


# ---------------------------------------------------------------- reading the file


def _header_from(data: Any) -> FileHeader:
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise BadInput("this is not a Common Ground snapshot file")
    version = data.get("schema_version")
    if version != SNAPSHOT_SCHEMA_VERSION:
        raise BadInput(
            f"this snapshot file has schema version {version}; this version of Common Ground "
            f"reads version {SNAPSHOT_SCHEMA_VERSION}"
        )
    snapshot = data.get("snapshot")
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("fingerprint"), str):
        raise BadInput("the snapshot file has no fingerprint")
    return FileHeader(
        snapshot=snapshot,
        quotes=bool(data.get("quotes", True)),
        figures=data.get("figures") or {},
        schema_version=int(version),
    )


class SnapshotFile:
    """A snapshot file on disk, read in the streaming layout or, failing that, whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._whole: dict[str, Any] | None = None
        try:
            with path.open("rb") as handle:
                first = handle.readline()
            if not first.rstrip().endswith(b'"content":{'):
                raise ValueError("not the streaming layout")
            self.header = _header_from(orjson.loads(first.rstrip() + b"}}"))
        except (ValueError, orjson.JSONDecodeError):
            try:
                self._whole = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as error:
                raise BadInput(f"the snapshot file is not valid JSON: {error}") from None
            self.header = _header_from(self._whole)

    def records(self, only: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(section, record) in file order; with ``only``, the records of that section."""
        if self._whole is not None:
            content = self._whole.get("content") or {}
            for section in SECTIONS:
                if only is not None and section != only:
                    continue
                for record in content.get(section) or []:
                    yield section, record
            return
        yield from self._stream(only)

    def _stream(self, only: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
        with self.path.open("rb") as handle:
            handle.readline()
            section: str | None = None
            for number, raw in enumerate(handle, start=2):
                line = raw.strip()
                if not line:
                    continue
                if line.endswith(b":["):
                    section = orjson.loads(line[:-2])
                    if section not in SECTIONS:
                        raise BadInput(f"line {number}: unknown section {section!r}")
                    continue
                if line in (b"],", b"]}}"):
                    section = None
                    continue
                if section is None:
                    raise BadInput(f"line {number}: a record outside any section")
                if only is not None and section != only:
                    continue
                try:
                    record = orjson.loads(line[:-1] if line.endswith(b",") else line)
                except orjson.JSONDecodeError as error:
                    raise BadInput(f"line {number}: {error}") from None
                yield section, record

    def fingerprint(self, *, validate: bool = False) -> str:
        hasher = Fingerprinter()
        for section, record in self.records():
            try:
                if validate:
                    check_record(section, record)
                hasher.add(section, record)
            except (ValueError, TypeError, KeyError) as error:
                what = record.get("id") or record.get("name") if isinstance(record, dict) else None
                raise BadInput(f"{section} record {what!r} is malformed: {error}") from None
        return hasher.hexdigest()

    def check(self) -> None:
        """Refuse an export without quotes and a file whose content was changed."""
        if not self.header.quotes:
            raise BadInput(
                "this file was exported without evidence quotes (--no-quotes); only a full "
                "export can be restored"
            )
        recorded = self.header.snapshot["fingerprint"]
        actual = self.fingerprint(validate=True)
        if actual != recorded:
            raise BadInput(
                f"fingerprint mismatch: the file records {recorded[:16]}… but its content "
                f"hashes to {actual[:16]}…; the file was changed after export"
            )


REQUIRED: dict[str, tuple[str, ...]] = {
    "functions": ("name", "builtin"),
    "entities": ("id", "kind", "name", "created_at", "created_by"),
    "propositions": ("id", "relation", "subject_id", "object_id", "created_at", "created_by"),
    "imports": ("id", "completed_at"),
    "evidence": ("id", "source_type", "observed_at", "recorded_at", "recorded_by", "bears"),
    "beliefs": ("id", "function", "proposition_id", "seq", "stated_at", "stated_by"),
}


def check_record(section: str, record: Any) -> None:
    """Refuse a record restore could not write faithfully (before anything is written)."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    missing = [name for name in REQUIRED[section] if record.get(name) is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    for name in TIME_FIELDS[section]:
        if record.get(name) is not None:
            from_iso(str(record[name]))
    if section == "entities":
        EntityKind(record["kind"])
    elif section == "propositions":
        Relation(record["relation"])
    elif section == "evidence":
        for bearing in record["bears"]:
            Stance(bearing["stance"])
            _float(bearing["strength"])
    elif section == "beliefs":
        int(record["seq"])
        if record.get("p") is not None:
            _float(record["p"])


# ---------------------------------------------------------------- writing


def _times(section: str, record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    for name in TIME_FIELDS[section]:
        if name in row:
            row[name] = from_iso(row[name])
    return row


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def evidence_row(record: dict[str, Any]) -> dict[str, Any]:
    row = _times("evidence", record)
    bears = [
        {
            "proposition_id": str(b["proposition_id"]),
            "stance": Stance(b["stance"]).value,
            "strength": _float(b["strength"]),
            "magnitude": None if b.get("magnitude") is None else int(b["magnitude"]),
        }
        for b in row.pop("bears", None) or []
    ]
    return {"props": row, "bears": bears}


def belief_row(record: dict[str, Any]) -> dict[str, Any]:
    row = _times("beliefs", record)
    row["seq"] = int(row["seq"])
    row["p"] = None if row.get("p") is None else _float(row["p"])
    row["withdrawn"] = bool(row.get("withdrawn"))
    return {"props": row, "series_key": series_key(row["function"], row["proposition_id"])}


async def _missing(tx: AsyncManagedTransaction, section: str, ids: list[str]) -> set[str]:
    rows = await fetch_all(tx, EXISTING[section], ids=ids)
    return {r["id"] for r in rows if not r["found"]}


async def _write_functions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await tx.run(RESTORE_FUNCTIONS, rows=rows, now=datetime.now(UTC))


async def _write_entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    fresh = await _missing(tx, "entities", [r["id"] for r in rows])
    chosen = [r for r in rows if r["id"] in fresh]
    for row in chosen:
        try:
            kind = EntityKind(row["kind"])
        except ValueError:
            raise BadInput(f"entity {row['id']!r} has an unknown kind {row['kind']!r}") from None
        await entities.upsert_by_id(tx, kind, row)
    if chosen:
        await tx.run(ENTITY_EXTRAS, rows=chosen)
    return len(chosen)


async def _link_entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    await tx.run(LINK_SEGMENTS, rows=[r for r in rows if r.get("segment_id")])
    await tx.run(LINK_MERGED_ENTITIES, rows=[r for r in rows if r.get("merged_into")])


async def _write_propositions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    fresh = await _missing(tx, "propositions", [r["id"] for r in rows])
    chosen = [r for r in rows if r["id"] in fresh]
    for row in chosen:
        try:
            relation = Relation(row["relation"])
        except ValueError:
            raise BadInput(
                f"proposition {row['id']!r} has an unknown relation {row['relation']!r}"
            ) from None
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


async def _write_evidence(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    fresh = await _missing(tx, "evidence", [r["props"]["id"] for r in rows])
    chosen = [r for r in rows if r["props"]["id"] in fresh]
    if chosen:
        await tx.run(RESTORE_EVIDENCE, rows=chosen)
    return len(chosen)


async def _write_beliefs(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> int:
    fresh = await _missing(tx, "beliefs", [r["props"]["id"] for r in rows])
    chosen = [r for r in rows if r["props"]["id"] in fresh]
    if chosen:
        await tx.run(RESTORE_BELIEFS, rows=chosen)
    return len(chosen)


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
        raise Conflict(
            f"the database already holds {existing} entities; restore into an empty database, "
            "or pass --force to add the snapshot's content beside them"
        )
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
        tick("evidence", await db.write(_write_evidence, [evidence_row(r) for r in batch]))
    for batch in _batches(snapshot.records("beliefs")):
        tick("beliefs", await db.write(_write_beliefs, [belief_row(r) for r in batch]))
    # The snapshot itself too, so the restored database lists it and exports it unchanged.
    await snapshots.record_restored(
        db,
        snapshot.header.snapshot,
        snapshot.header.schema_version,
        snapshot.header.figures,
        snapshot.records(),
    )
    return written
