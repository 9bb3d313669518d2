"""The divergence engine against a real Neo4j: every read as of a time T.

Beliefs are stated, superseded and withdrawn, evidence added and retracted, propositions
and entities retired, each at an explicit time; the queries before and after each step
see the model as it stood, and asking again later about the same T gives the same answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import beliefs, entities, evidence, propositions
from graph.divergence import (
    EngineSettings,
    Picture,
    assumption_debt,
    belief_gaps,
    blind_spots,
    disagreements,
    load_picture,
    segment_report,
)
from graph.kit.connection import Database
from schema.divergence import GapDirection, SegmentReport
from schema.models import (
    Actor,
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Stance, SupportStatus

SYSTEM = Actor.system()
SETTINGS = EngineSettings()


def day(month: int, day_of_month: int = 1) -> datetime:
    return datetime(2026, month, day_of_month, 12, tzinfo=UTC)


async def make(db: Database, kind: EntityKind, name: str, at: datetime, **fields: Any) -> str:
    data = EntityCreate(kind=kind, name=name, **fields)
    entity, _ = await db.write(entities.create, SYSTEM, data, at)
    return entity.id


async def propose(db: Database, s: str, relation: Relation, o: str, at: datetime) -> str:
    data = PropositionCreate(subject_id=s, relation=relation, object_id=o)
    created, _ = await db.write(propositions.create, SYSTEM, data, at)
    return created.id


async def add_evidence(
    db: Database, pid: str, stance: Stance, count: int, at: datetime, source: str = "interview"
) -> list[str]:
    items = [
        EvidenceCreate(
            source_type=source,
            summary=f"{stance.value.lower()} #{n}",
            observed_at=at,
            bears=[BearingCreate(proposition_id=pid, stance=stance, strength=1.0)],
        )
        for n in range(count)
    ]
    return [item_id for item_id, _ in await db.write(evidence.add, SYSTEM, items, at)]


async def believe(
    db: Database, pid: str, function: str, p: float, at: datetime, magnitude: int | None = None
) -> None:
    data = BeliefCreate(proposition_id=pid, p=p, magnitude=magnitude, function=function)
    await db.write(beliefs.state, SYSTEM, data, at)


async def picture_at(db: Database, as_of: datetime, segment_id: str | None = None) -> Picture:
    return await db.read(load_picture, SETTINGS, as_of=as_of, segment_id=segment_id)


async def report_at(db: Database, as_of: datetime, segment_id: str) -> SegmentReport:
    return segment_report(await picture_at(db, as_of, segment_id))


async def test_every_query_sees_the_model_as_it_stood(db: Database) -> None:
    t0 = day(1)
    seg = await make(db, EntityKind.SEGMENT, "Mid-market ops", t0)
    onboarding = await make(db, EntityKind.PAIN, "Slow onboarding", t0)
    stale = await make(db, EntityKind.PAIN, "Stale data", t0)
    live = await make(db, EntityKind.GOAL, "Act on live data", t0)
    p_onboarding = await propose(db, seg, Relation.EXPERIENCES, onboarding, t0)
    p_stale = await propose(db, seg, Relation.EXPERIENCES, stale, t0)
    p_live = await propose(db, seg, Relation.PURSUES, live, t0)
    reports: dict[datetime, SegmentReport] = {}

    async def check(at: datetime) -> Picture:
        picture = await picture_at(db, at, seg)
        reports[at] = segment_report(picture)
        return picture

    before_anything = await check(day(1, 2))
    assert belief_gaps(before_anything) == [] and blind_spots(before_anything, "sales") == []

    supporting = await add_evidence(db, p_onboarding, Stance.SUPPORTS, 6, day(2))
    against_live = await add_evidence(db, p_live, Stance.CONTRADICTS, 6, day(2))
    await add_evidence(db, p_stale, Stance.SUPPORTS, 2, day(2))
    await add_evidence(db, p_stale, Stance.CONTRADICTS, 2, day(2))
    evidenced = await check(day(2, 2))
    assert evidenced.evidence(p_onboarding).status is SupportStatus.VALIDATED
    assert evidenced.evidence(p_live).status is SupportStatus.REFUTED
    assert evidenced.evidence(p_stale).status is SupportStatus.CONTESTED
    assert {b.proposition.id for b in blind_spots(evidenced, "sales")} == {p_onboarding, p_live}

    await believe(db, p_onboarding, "sales", 0.2, day(3), magnitude=4)
    await believe(db, p_live, "marketing", 0.9, day(3), magnitude=5)
    await believe(db, p_live, "success", 0.2, day(3))
    await believe(db, p_stale, "engineering", 0.6, day(3))
    believed = await check(day(3, 2))
    gaps = {(g.function, g.proposition.id): g for g in belief_gaps(believed)}
    sales_gap = gaps[("sales", p_onboarding)]
    assert sales_gap.direction is GapDirection.UNDER_CONFIDENT and sales_gap.significant
    assert set(sales_gap.evidence.evidence_ids) == set(supporting)
    assert sales_gap.evidence.newest_evidence_at == day(2)
    assert sales_gap.belief.stated_at == day(3) and sales_gap.belief.magnitude == 4
    assert gaps[("marketing", p_live)].direction is GapDirection.OVER_CONFIDENT
    assert [b.proposition.id for b in blind_spots(believed, "sales")] == [p_live]
    [split] = disagreements(believed)
    assert split.proposition.id == p_live and split.contested

    await believe(db, p_onboarding, "sales", 0.9, day(4), magnitude=4)
    revised = await check(day(4, 2))
    revised_gap = next(g for g in belief_gaps(revised) if g.function == "sales")
    assert revised_gap.p == 0.9 and not revised_gap.significant

    for item_id in against_live[:5]:
        await db.write(evidence.retract, SYSTEM, item_id, "counted a demo workspace", day(5))
    retracted = await check(day(5, 2))
    assert retracted.evidence(p_live).mass < 1
    assert all(g.proposition.id != p_live for g in belief_gaps(retracted))
    debt = assumption_debt(retracted)
    assert {(d.function, d.proposition.id) for d in debt} == {
        ("marketing", p_live),
        ("success", p_live),
    }

    await db.write(propositions.retire, SYSTEM, p_stale, "not a real pain", day(6))
    await db.write(beliefs.withdraw, SYSTEM, p_live, "marketing", day(6))
    later = await check(day(6, 2))
    assert p_stale not in later.propositions
    assert all(g.proposition.id != p_stale for g in belief_gaps(later))
    assert {d.function for d in assumption_debt(later)} == {"success"}

    await db.write(entities.retire, SYSTEM, onboarding, "folded into setup", day(7))
    latest = await check(day(7, 2))
    assert set(latest.propositions) == {p_live}

    # Asking again about each earlier time gives exactly the earlier answers.
    for at, report in reports.items():
        assert await report_at(db, at, seg) == report, at


class CountingTransaction:
    """Passes every call through to the real transaction and counts the queries run."""

    def __init__(self, tx: AsyncManagedTransaction) -> None:
        self.tx = tx
        self.queries = 0

    async def run(self, query: str, parameters: Any = None, **kwargs: Any) -> Any:
        self.queries += 1
        return await self.tx.run(query, parameters, **kwargs)


async def _count_queries(
    tx: AsyncManagedTransaction, as_of: datetime, segment_id: str
) -> tuple[int, int]:
    counting = CountingTransaction(tx)
    picture = await load_picture(counting, SETTINGS, as_of=as_of, segment_id=segment_id)  # type: ignore[arg-type]
    segment_report(picture)
    return counting.queries, len(picture.scope)


async def test_a_segment_report_costs_the_same_few_queries_whatever_its_size(
    db: Database,
) -> None:
    t0 = day(1)
    seg = await make(db, EntityKind.SEGMENT, "Agencies", t0)
    counts = []
    for size in (2, 12):
        while True:
            n = len((await picture_at(db, day(2), seg)).scope)
            if n >= size:
                break
            pain = await make(db, EntityKind.PAIN, f"pain {n}", t0)
            pid = await propose(db, seg, Relation.EXPERIENCES, pain, t0)
            await add_evidence(db, pid, Stance.SUPPORTS, 1, t0)
            await believe(db, pid, "design", 0.5, t0)
        counts.append(await db.read(_count_queries, day(2), seg))
    (small, small_scope), (large, large_scope) = counts
    assert small_scope < large_scope
    assert small == large <= 6
