"""The demo company loads, and loading it twice leaves the same graph."""

from __future__ import annotations

from graph import seeding
from graph.kit.connection import Database, fetch_one

GRAPH_SHAPE = """
MATCH (n) WHERE NOT n:CommonGroundTestMarker
WITH count(n) AS nodes
MATCH ()-[r]->()
RETURN nodes, count(r) AS relationships
"""


async def test_seeding_twice_gives_the_same_counts(db: Database) -> None:
    first = await seeding.load_demo(db)
    shape = await db.read(fetch_one, GRAPH_SHAPE)
    second = await seeding.load_demo(db)
    assert first == second
    assert await db.read(fetch_one, GRAPH_SHAPE) == shape
    company = seeding.read_seed("company.yaml")
    assert first["entities"] == len(company["entities"])
    assert first["propositions"] == len(company["propositions"])
    assert first["members"] == len(company["members"])


async def test_seeded_accounts_belong_to_segments(db: Database) -> None:
    await seeding.load_demo(db)
    row = await db.read(
        fetch_one,
        "MATCH (a:Account) WHERE NOT (a)-[:IN_SEGMENT]->(:Segment) RETURN count(a) AS orphans",
    )
    assert row == {"orphans": 0}
