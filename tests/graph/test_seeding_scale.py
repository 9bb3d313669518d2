"""`seed --scale N`: N synthetic evidence items, deterministic, and re-seeding adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.progress import Progress

from graph import entities, propositions, seeding
from graph.kit.connection import Database, fetch_one
from schema.vocabulary import EntityKind

WHEN = datetime(2025, 9, 1, tzinfo=UTC)
COMPANY = {
    "members": [{"id": "mem-s", "name": "S", "function": "success", "role": "contributor"}],
    "entities": [
        {"id": "seg-a", "kind": "SEGMENT", "name": "A"},
        {"id": "acct-a", "kind": "ACCOUNT", "name": "Acme", "segment": "seg-a"},
        {"id": "pain-a", "kind": "PAIN", "name": "Slow setup"},
    ],
    "propositions": [{"subject": "seg-a", "relation": "EXPERIENCES", "object": "pain-a"}],
}
COUNTS = """
MATCH (ev:Evidence)
RETURN count(ev) AS items,
       count { MATCH (:Evidence)-[:BEARS_ON]->(:Proposition) } AS bearings,
       count { MATCH (:Evidence)-[:FROM_ACCOUNT]->(:Account) } AS with_account
"""


async def test_synthetic_evidence_is_keyed_so_seeding_twice_adds_nothing(db: Database) -> None:
    for row in COMPANY["entities"]:
        await db.write(
            entities.upsert_by_id,
            EntityKind(row["kind"]),
            {**row, "segment_id": row.get("segment"), "created_at": WHEN, "created_by": "m"},
        )
    for row in COMPANY["propositions"]:
        await db.write(
            propositions.upsert,
            {
                "subject_id": row["subject"],
                "relation": row["relation"],
                "object_id": row["object"],
                "created_at": WHEN,
                "created_by": "m",
            },
        )
    with Progress(console=Console(quiet=True)) as bar:
        await seeding.load_synthetic(db, 2500, COMPANY, bar)
        first = await db.read(fetch_one, COUNTS)
        await seeding.load_synthetic(db, 2500, COMPANY, bar)
        assert await db.read(fetch_one, COUNTS) == first
        await seeding.load_synthetic(db, 2600, COMPANY, bar)
    assert first == {"items": 2500, "bearings": 2500, "with_account": 2000}
    grown = await db.read(fetch_one, COUNTS)
    assert grown is not None and grown["items"] == 2600
