"""A merge retried after its answer was lost (a timeout, a 503 after the commit) answers
the survivor, as the first call would have, and changes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph import entities, propositions
from graph.kit.connection import Database, fetch_one
from graph.merge import merge_entities
from schema.errors import BadInput
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation, Role

FACILITATOR = Actor(member_id="mem-f", name="F", function="leadership", role=Role.FACILITATOR)
AT = datetime(2026, 3, 1, tzinfo=UTC)
LATER = datetime(2026, 3, 2, tzinfo=UTC)

STATE = """
MATCH (e:Entity) WITH count(e) AS entities
MATCH (p:Proposition) WITH entities, count(p) AS propositions
OPTIONAL MATCH (a:AuditEntry {action: 'mergeEntities'})
RETURN entities, propositions, count(a) AS merges
"""


async def _entity(db: Database, kind: EntityKind, name: str) -> str:
    made, _ = await db.write(entities.create, FACILITATOR, EntityCreate(kind=kind, name=name), AT)
    return made.id


async def test_a_retried_merge_answers_the_survivor_and_changes_nothing(db: Database) -> None:
    segment = await _entity(db, EntityKind.SEGMENT, "Ops")
    keep = await _entity(db, EntityKind.PAIN, "Manual reports")
    gone = await _entity(db, EntityKind.PAIN, "Reports by hand")
    await db.write(
        propositions.create,
        FACILITATOR,
        PropositionCreate(subject_id=segment, relation=Relation.EXPERIENCES, object_id=gone),
        AT,
    )
    survivor, first = await db.write(merge_entities, FACILITATOR, keep, gone, LATER)
    assert survivor.id == keep and first.moved_propositions
    before = await db.read(fetch_one, STATE)

    again, retried = await db.write(merge_entities, FACILITATOR, keep, gone, LATER)

    assert again.id == keep and again.name == "Manual reports"
    assert retried.keep_id == keep and retried.merged_id == gone
    assert not retried.moved_propositions and not retried.folded_propositions
    assert before is not None and before["merges"] == 1
    assert await db.read(fetch_one, STATE) == before
    # Naming one entity twice is still refused.
    with pytest.raises(BadInput, match="same entity"):
        await db.write(merge_entities, FACILITATOR, keep, keep, LATER)
