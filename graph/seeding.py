"""Loading the demo company from ``seed_data/`` (idempotent: every row has a stable id)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from neo4j import AsyncManagedTransaction
from rich.console import Console
from rich.progress import Progress

from graph import entities, members, propositions
from graph.connection import Database, fetch_one
from schema.vocabulary import EntityKind, Relation, Role

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"
BATCH = 200

COUNTS = """
MATCH (n) WHERE n:Entity OR n:Proposition OR n:Evidence OR n:Belief OR n:Member
RETURN sum(CASE WHEN n:Entity THEN 1 ELSE 0 END) AS entities,
       sum(CASE WHEN n:Proposition THEN 1 ELSE 0 END) AS propositions,
       sum(CASE WHEN n:Evidence THEN 1 ELSE 0 END) AS evidence,
       sum(CASE WHEN n:Belief THEN 1 ELSE 0 END) AS beliefs,
       sum(CASE WHEN n:Member THEN 1 ELSE 0 END) AS members
"""


def as_time(value: Any) -> datetime:
    """Seed files give ISO times or plain dates; both become aware UTC datetimes."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_seed(name: str, seed_dir: Path = SEED_DIR) -> dict[str, Any]:
    path = seed_dir / name
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def triple_id(triple: list[str]) -> str:
    subject, relation, obj = triple
    return propositions.proposition_id(subject, Relation(relation), obj)


# Later loaders (evidence, beliefs) register here so `seed` loads everything in order.
ExtraLoader = Callable[[Database, dict[str, Any], Progress], Coroutine[Any, Any, None]]
EXTRA_LOADERS: list[ExtraLoader] = []


async def load_demo(
    db: Database, *, progress: Console | None = None, scale: int = 0, seed_dir: Path = SEED_DIR
) -> dict[str, int]:
    company = read_seed("company.yaml", seed_dir)
    now = datetime.now(UTC)
    with Progress(console=progress or Console(stderr=True), transient=True) as bar:
        people = company.get("members", [])
        task = bar.add_task("members", total=len(people))
        for person in people:
            await db.write(
                members.upsert,
                person["id"],
                person["name"],
                person["function"],
                Role(person["role"]),
                now,
            )
            bar.advance(task)

        rows = company.get("entities", [])
        # Segments first: accounts link to them.
        rows = sorted(rows, key=lambda r: r["kind"] != EntityKind.SEGMENT.value)
        task = bar.add_task("entities", total=len(rows))
        for start in range(0, len(rows), BATCH):
            await db.write(_entities, rows[start : start + BATCH])
            bar.advance(task, len(rows[start : start + BATCH]))

        props = company.get("propositions", [])
        task = bar.add_task("propositions", total=len(props))
        for start in range(0, len(props), BATCH):
            await db.write(_propositions, props[start : start + BATCH])
            bar.advance(task, len(props[start : start + BATCH]))

        for loader in EXTRA_LOADERS:
            await loader(db, {"seed_dir": seed_dir, "scale": scale}, bar)
    return await counts(db)


async def _entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        kind = EntityKind(row["kind"])
        await entities.upsert_by_id(
            tx,
            kind,
            {
                **row,
                "segment_id": row.get("segment"),
                "created_at": as_time(row.get("created_at", "2025-09-01")),
                "created_by": row.get("created_by", "system"),
            },
        )


async def _propositions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        await propositions.upsert(
            tx,
            {
                "subject_id": row["subject"],
                "relation": row["relation"],
                "object_id": row["object"],
                "created_at": as_time(row.get("created_at", "2025-09-01")),
                "created_by": row.get("created_by", "system"),
            },
        )


async def counts(db: Database) -> dict[str, int]:
    row = await db.read(fetch_one, COUNTS)
    assert row is not None
    return {k: int(v) for k, v in row.items()}
