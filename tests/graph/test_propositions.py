"""Propositions through the repository, against a real Neo4j."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from graph import entities, propositions
from graph.kit.connection import Database, fetch_one
from schema.errors import BadInput, NotFound
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation

SYSTEM = Actor.system()


async def make(db: Database, kind: EntityKind, name: str, **fields: object) -> str:
    data = EntityCreate(kind=kind, name=name, **fields)  # type: ignore[arg-type]
    entity, _ = await db.write(entities.create, SYSTEM, data, datetime.now(UTC))
    return entity.id


async def test_twenty_concurrent_creators_of_one_triple_make_one_proposition(
    db: Database,
) -> None:
    segment = await make(db, EntityKind.SEGMENT, "SMB")
    pain = await make(db, EntityKind.PAIN, "Onboarding takes weeks")
    data = PropositionCreate(subject_id=segment, relation=Relation.EXPERIENCES, object_id=pain)
    now = datetime.now(UTC)
    results = await asyncio.gather(
        *(db.write(propositions.create, SYSTEM, data, now) for _ in range(20))
    )
    assert len({p.id for p, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    counts = await db.read(
        fetch_one,
        """
        MATCH (p:Proposition)
        OPTIONAL MATCH (p)-[r:SUBJECT|OBJECT]->()
        WITH count(DISTINCT p) AS props, count(r) AS links
        OPTIONAL MATCH ()-[d:EXPERIENCES]->()
        RETURN props, links, count(d) AS direct
        """,
    )
    assert counts == {"props": 1, "links": 2, "direct": 1}


async def test_relation_endpoints_are_validated(db: Database) -> None:
    segment = await make(db, EntityKind.SEGMENT, "SMB")
    goal = await make(db, EntityKind.GOAL, "Close the books faster")
    wrong = PropositionCreate(subject_id=goal, relation=Relation.EXPERIENCES, object_id=segment)
    with pytest.raises(BadInput, match="EXPERIENCES needs a subject of kind SEGMENT"):
        await db.write(propositions.create, SYSTEM, wrong, datetime.now(UTC))
    missing = PropositionCreate(subject_id=segment, relation=Relation.PURSUES, object_id="goal-x")
    with pytest.raises(NotFound):
        await db.write(propositions.create, SYSTEM, missing, datetime.now(UTC))
    row = await db.read(fetch_one, "MATCH (p:Proposition) RETURN count(p) AS n")
    assert row == {"n": 0}
