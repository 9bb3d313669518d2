"""A small model for the reliability tests: a segment, an account, pains, goals, propositions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph import entities, propositions
from graph.kit.connection import Database, fetch_all, fetch_one
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation

T0 = datetime(2026, 3, 1, tzinfo=UTC)

# What a test compares before and after a write: nodes per label, relationships per type,
# constraints and indexes.
LABEL_COUNTS = """
MATCH (n) UNWIND labels(n) AS label
RETURN label, count(*) AS n
"""
TYPE_COUNTS = """
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS n
"""
CONSTRAINTS = "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names"
INDEXES = "SHOW INDEXES YIELD name RETURN collect(name) AS names"


@dataclass(frozen=True)
class Model:
    segment_id: str
    account_id: str
    pain_ids: list[str]
    goal_id: str
    proposition_ids: list[str]  # segment EXPERIENCES each pain, then segment PURSUES the goal


async def build_model(db: Database, pains: int = 2) -> Model:
    """Segment "Ops" with account "Acme", ``pains`` pains and a goal, each a proposition."""
    system = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> Model:
        seg, _ = await entities.create(
            tx, system, EntityCreate(kind=EntityKind.SEGMENT, name="Ops"), T0
        )
        acct, _ = await entities.create(
            tx, system, EntityCreate(kind=EntityKind.ACCOUNT, name="Acme", segment_id=seg.id), T0
        )
        goal, _ = await entities.create(
            tx, system, EntityCreate(kind=EntityKind.GOAL, name="Trust the numbers"), T0
        )
        pain_ids, prop_ids = [], []
        for n in range(pains):
            pain, _ = await entities.create(
                tx, system, EntityCreate(kind=EntityKind.PAIN, name=f"Pain {n}"), T0
            )
            prop, _ = await propositions.create(
                tx,
                system,
                PropositionCreate(
                    subject_id=seg.id, relation=Relation.EXPERIENCES, object_id=pain.id
                ),
                T0,
            )
            pain_ids.append(pain.id)
            prop_ids.append(prop.id)
        pursues, _ = await propositions.create(
            tx,
            system,
            PropositionCreate(subject_id=seg.id, relation=Relation.PURSUES, object_id=goal.id),
            T0,
        )
        return Model(seg.id, acct.id, pain_ids, goal.id, [*prop_ids, pursues.id])

    return await db.write(build)


@dataclass(frozen=True)
class GraphShape:
    labels: dict[str, int]
    types: dict[str, int]
    constraints: frozenset[str]
    indexes: frozenset[str]

    def label_delta(self, later: GraphShape) -> dict[str, int]:
        names = set(self.labels) | set(later.labels)
        delta = {n: later.labels.get(n, 0) - self.labels.get(n, 0) for n in names}
        return {n: d for n, d in delta.items() if d}

    def type_delta(self, later: GraphShape) -> dict[str, int]:
        names = set(self.types) | set(later.types)
        delta = {n: later.types.get(n, 0) - self.types.get(n, 0) for n in names}
        return {n: d for n, d in delta.items() if d}


async def graph_shape(db: Database) -> GraphShape:
    async def read(tx: AsyncManagedTransaction) -> GraphShape:
        labels = {r["label"]: int(r["n"]) for r in await fetch_all(tx, LABEL_COUNTS)}
        types = {r["type"]: int(r["n"]) for r in await fetch_all(tx, TYPE_COUNTS)}
        constraints = await fetch_one(tx, CONSTRAINTS)
        indexes = await fetch_one(tx, INDEXES)
        assert constraints is not None and indexes is not None
        return GraphShape(
            labels, types, frozenset(constraints["names"]), frozenset(indexes["names"])
        )

    return await db.read(read)
