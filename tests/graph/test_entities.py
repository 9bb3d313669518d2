"""Entities through the repository, against a real Neo4j."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph import entities
from graph.kit.connection import Database, fetch_one
from schema.models import Actor, EntityCreate
from schema.vocabulary import EntityKind

SYSTEM = Actor.system()


async def make(db: Database, kind: EntityKind, name: str, **fields: object) -> str:
    data = EntityCreate(kind=kind, name=name, **fields)  # type: ignore[arg-type]
    entity, _ = await db.write(entities.create, SYSTEM, data, datetime.now(UTC))
    return entity.id


async def test_every_kind_is_created_with_its_label(db: Database) -> None:
    segment = await make(db, EntityKind.SEGMENT, "Mid-market ops")
    ids = {EntityKind.SEGMENT: segment}
    ids[EntityKind.ACCOUNT] = await make(db, EntityKind.ACCOUNT, "Northwind", segment_id=segment)
    for kind in (EntityKind.GOAL, EntityKind.PAIN, EntityKind.ALTERNATIVE):
        ids[kind] = await make(db, kind, f"a {kind.value.lower()}")
    ids[EntityKind.FEATURE] = await make(db, EntityKind.FEATURE, "Slack alerts", status="planned")
    ids[EntityKind.CLAIM] = await make(db, EntityKind.CLAIM, "See it in real time", status="live")
    for kind, entity_id in ids.items():
        row = await db.read(
            fetch_one, "MATCH (e:Entity {id: $id}) RETURN labels(e) AS labels", id=entity_id
        )
        assert row is not None and kind.label in row["labels"]
    account = await db.read(entities.get, ids[EntityKind.ACCOUNT], None)
    assert account is not None and account.segment_id == segment
    feature = await db.read(entities.get, ids[EntityKind.FEATURE], None)
    assert feature is not None and feature.status == "planned"
    goal = await db.read(entities.get, ids[EntityKind.GOAL], None)
    assert goal is not None and goal.status is None


async def test_idempotency_key_returns_the_first_entity(db: Database) -> None:
    first = await make(db, EntityKind.PAIN, "Manual reporting", idempotency_key="k-1")
    again = await make(db, EntityKind.PAIN, "Manual reporting", idempotency_key="k-1")
    assert first == again
    row = await db.read(fetch_one, "MATCH (e:Pain) RETURN count(e) AS n")
    assert row == {"n": 1}


async def test_hostile_names_are_stored_verbatim(db: Database) -> None:
    hostile = "x'}) DETACH DELETE n // `Segment` \\u0000-free ÿ ＄"
    entity_id = await make(db, EntityKind.GOAL, hostile)
    entity = await db.read(entities.get, entity_id, None)
    assert entity is not None and entity.name == hostile
    row = await db.read(fetch_one, "MATCH (n) RETURN count(n) AS n")
    assert row is not None and row["n"] > 1


async def test_as_of_hides_what_did_not_exist_or_was_retired(db: Database) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    goal = await make(db, EntityKind.GOAL, "Trust the numbers")
    assert await db.read(entities.get, goal, before) is None
    await db.write(entities.retire, SYSTEM, goal, "merged into a broader goal", datetime.now(UTC))
    page, total = await db.read(
        entities.list_page,
        kind=EntityKind.GOAL,
        search=None,
        as_of=datetime.now(UTC),
        include_retired=False,
        after=None,
        limit=10,
    )
    assert (page, total) == ([], 0)
    retired = await db.read(entities.get, goal, None)
    assert retired is not None and retired.retired_reason == "merged into a broader goal"
