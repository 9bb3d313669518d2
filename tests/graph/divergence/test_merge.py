"""mergeEntities: the merged entity's propositions move to the survivor, folds unite
evidence and belief histories, and old ids keep resolving; nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from graph import audit, beliefs, entities, propositions, seeding
from graph.divergence import EngineSettings, duplicates, load_picture
from graph.kit.connection import Database, fetch_all, fetch_one
from graph.merge import merge_entities
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import Actor, BeliefCreate, EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation, Role

FACILITATOR = Actor(
    member_id="mem-grace", name="Grace", function="leadership", role=Role.FACILITATOR
)
AS_OF = datetime(2026, 11, 22, tzinfo=UTC)
NOW = datetime(2026, 11, 23, tzinfo=UTC)

# Every evidence link and belief on the live propositions of the given entities, with the
# merged entity's id replaced by the survivor's: what the survivor must hold afterwards.
LINKS_AND_BELIEFS = """
MATCH (p:Proposition)-[:SUBJECT|OBJECT]->(e:Entity) WHERE e.id IN $ids
  AND NOT (p)-[:MERGED_INTO]->()
WITH DISTINCT p
MATCH (p)-[:SUBJECT]->(s:Entity), (p)-[:OBJECT]->(o:Entity)
WITH p, [CASE WHEN s.id = $gone THEN $keep ELSE s.id END, p.relation,
         CASE WHEN o.id = $gone THEN $keep ELSE o.id END] AS triple
OPTIONAL MATCH (ev:Evidence)-[l:BEARS_ON]->(p)
WITH p, triple, collect([ev.id, l.stance, l.strength]) AS links
OPTIONAL MATCH (b:Belief)-[:ON]->(p)
RETURN triple, links, collect(b.id) AS beliefs
"""


async def snapshot(db: Database, keep: str, gone: str) -> tuple[set[Any], set[Any]]:
    rows = await db.read(fetch_all, LINKS_AND_BELIEFS, ids=[keep, gone], keep=keep, gone=gone)
    links = {(tuple(r["triple"]), *link) for r in rows for link in r["links"] if link[0]}
    held = {(tuple(r["triple"]), b) for r in rows for b in r["beliefs"]}
    return links, held


async def test_the_demo_duplicates_are_found_and_merged_without_loss(db: Database) -> None:
    await seeding.load_demo(db)
    settings = EngineSettings()
    [pair] = await db.read(
        duplicates, as_of=AS_OF, min_similarity=settings.duplicate_min_similarity
    )
    keep, gone = "feat-scheduled-pdf-reports", "feat-automated-report-emailing"
    assert {pair.a.entity.id, pair.b.entity.id} == {keep, gone}
    old_props = [
        r["id"]
        for r in await db.read(
            fetch_all,
            "MATCH (p:Proposition)-[:SUBJECT]->(:Entity {id: $id}) RETURN p.id AS id",
            id=gone,
        )
    ]
    links_before, beliefs_before = await snapshot(db, keep, gone)
    totals_before = await db.read(
        fetch_one,
        "MATCH ()-[l:BEARS_ON]->() WITH count(l) AS links "
        "MATCH (b:Belief) RETURN links, count(b) AS beliefs",
    )

    survivor, result = await db.write(merge_entities, FACILITATOR, keep, gone, NOW)

    assert survivor.id == keep
    assert len(result.folded_propositions) == 2  # RELIEVES manual reporting, ENABLES KPI review
    links_after, beliefs_after = await snapshot(db, keep, gone)
    assert links_after == links_before
    assert beliefs_after == beliefs_before
    totals_after = await db.read(
        fetch_one,
        "MATCH ()-[l:BEARS_ON]->() WITH count(l) AS links "
        "MATCH (b:Belief) RETURN links, count(b) AS beliefs",
    )
    assert totals_before is not None and totals_after is not None
    assert totals_after["beliefs"] == totals_before["beliefs"]
    assert totals_after["links"] == totals_before["links"] - result.evidence_links_united

    # Old ids resolve to the survivor and its propositions.
    resolved = await db.read(entities.get, gone, None)
    assert resolved is not None and resolved.id == keep
    new_ids = {new for _, new in result.folded_propositions + result.moved_propositions}
    for old in old_props:
        found = await db.read(propositions.get, old)
        assert found is not None and found.id in new_ids
        assert found.subject_id == keep

    # Leadership believed both at 0.7: one history now, strictly ordered, latest current.
    relieves = propositions.proposition_id(keep, Relation.RELIEVES, "pain-manual-report-building")
    history = await db.read(beliefs.history, relieves, NOW, "leadership")
    assert [b.seq for b in history] == list(range(1, len(history) + 1))
    assert len(history) >= 2
    assert [b.stated_at for b in history] == sorted(b.stated_at for b in history)
    [current] = await db.read(beliefs.current, [relieves], NOW, "leadership")
    assert current.id == history[-1].id

    # The merged entity leaves the model and the duplicate list; the merge is audited.
    picture = await db.read(load_picture, settings, as_of=NOW)
    assert all(gone not in (p.subject.id, p.object.id) for p in picture.propositions.values())
    assert relieves in picture.propositions
    assert await db.read(duplicates, as_of=NOW, min_similarity=0.4) == []
    [entry] = await db.read(
        audit.list_entries, member_id="mem-grace", action="mergeEntities", before=None, limit=5
    )
    assert set(entry["target_ids"]) >= {keep, gone}
    edges = await db.read(
        fetch_one,
        "MATCH (:Entity {id: $gone})-[r]-() WHERE NOT type(r) IN ['SUBJECT', 'OBJECT', "
        "'MERGED_INTO'] RETURN count(r) AS n",
        gone=gone,
    )
    assert edges == {"n": 0}, "the merged entity keeps no direct typed edge"


SYSTEM = Actor.system()


async def _entity(db: Database, kind: EntityKind, name: str, at: datetime) -> str:
    created, _ = await db.write(entities.create, SYSTEM, EntityCreate(kind=kind, name=name), at)
    return created.id


async def _propose(db: Database, s: str, r: Relation, o: str, at: datetime) -> str:
    data = PropositionCreate(subject_id=s, relation=r, object_id=o)
    created, _ = await db.write(propositions.create, SYSTEM, data, at)
    return created.id


async def _believe(db: Database, pid: str, function: str, p: float, at: datetime) -> None:
    await db.write(
        beliefs.state, SYSTEM, BeliefCreate(proposition_id=pid, p=p, function=function), at
    )


def at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


async def test_histories_interleave_by_time_and_moved_propositions_keep_their_age(
    db: Database,
) -> None:
    seg = await _entity(db, EntityKind.SEGMENT, "Ops", at(1))
    keep = await _entity(db, EntityKind.PAIN, "Manual reporting", at(1))
    gone = await _entity(db, EntityKind.PAIN, "Reports built by hand", at(2))
    goal = await _entity(db, EntityKind.GOAL, "Weekly KPI review", at(2))
    kept = await _propose(db, seg, Relation.EXPERIENCES, keep, at(3))
    folded = await _propose(db, seg, Relation.EXPERIENCES, gone, at(2, 15))
    moved = await _propose(db, gone, Relation.HINDERS, goal, at(4))
    for pid, p, when in [
        (kept, 0.2, at(3, 2)),
        (folded, 0.5, at(3, 5)),
        (kept, 0.4, at(3, 10)),
        (folded, 0.8, at(3, 20)),
    ]:
        await _believe(db, pid, "product", p, when)

    _, result = await db.write(merge_entities, FACILITATOR, keep, gone, at(5))

    assert result.folded_propositions == ((folded, kept),)
    [(old, new)] = result.moved_propositions
    assert old == moved and new == propositions.proposition_id(keep, Relation.HINDERS, goal)
    history = await db.read(beliefs.history, kept, at(6), "product")
    assert [(b.seq, b.p) for b in history] == [(1, 0.2), (2, 0.5), (3, 0.4), (4, 0.8)]
    # As of a time between the statements, the current belief is the latest stated by then.
    [mid] = await db.read(beliefs.current, [kept], at(3, 12), "product")
    assert mid.p == 0.4
    survivor = await db.read(propositions.get, kept)
    assert survivor is not None and survivor.created_at == at(2, 15)  # the earlier of the two
    rehomed = await db.read(propositions.get, new)
    assert rehomed is not None and rehomed.created_at == at(4)
    # A new statement continues the renumbered series.
    await _believe(db, kept, "product", 0.9, at(6))
    latest = await db.read(beliefs.history, kept, at(7), "product")
    assert [b.seq for b in latest] == [1, 2, 3, 4, 5]
    edges = await db.read(
        fetch_one,
        "MATCH (:Pain {id: $keep})-[r:HINDERS]->(:Goal {id: $goal}) RETURN count(r) AS n",
        keep=keep,
        goal=goal,
    )
    assert edges == {"n": 1}


async def test_only_facilitators_merge_two_different_entities_of_one_kind(db: Database) -> None:
    a = await _entity(db, EntityKind.FEATURE, "CSV export", at(1))
    b = await _entity(db, EntityKind.FEATURE, "Export to CSV", at(1))
    pain = await _entity(db, EntityKind.PAIN, "Exports", at(1))
    contributor = Actor(member_id="mem-x", name="X", function="product", role=Role.CONTRIBUTOR)
    with pytest.raises(Forbidden):
        await db.write(merge_entities, contributor, a, b, at(2))
    with pytest.raises(BadInput, match="one kind"):
        await db.write(merge_entities, FACILITATOR, a, pain, at(2))
    with pytest.raises(BadInput, match="same entity"):
        await db.write(merge_entities, FACILITATOR, a, a, at(2))
    with pytest.raises(NotFound):
        await db.write(merge_entities, FACILITATOR, a, "feat-nope", at(2))
    merged = await db.read(fetch_one, "MATCH ()-[r:MERGED_INTO]->() RETURN count(r) AS n")
    assert merged == {"n": 0}
    await db.write(merge_entities, FACILITATOR, a, b, at(2))
    # The survivor and the merged entity, named the other way round, are one entity.
    with pytest.raises(BadInput, match="same entity"):
        await db.write(merge_entities, FACILITATOR, b, a, at(3))
