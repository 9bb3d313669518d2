"""A small model for the reliability tests: a segment, an account, pains, goals, propositions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database, fetch_all, fetch_one
from tests.factories import small_model

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
    model = await small_model(db, pains=pains, goals=["Trust the numbers"], at=T0)
    assert model.account_id is not None
    return Model(
        model.segment_id,
        model.account_id,
        model.pain_ids,
        model.goal_ids[0],
        [*model.experiences, *model.pursues],
    )


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
