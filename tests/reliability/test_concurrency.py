"""Concurrency: many clients writing the same thing at once, over HTTP to a real server.

Neo4j runs transactions at read-committed isolation, so a read-then-write can lose an update
unless something serialises it. Each test here fires the racing requests together and then
counts in the graph: sequence numbers without gaps or repeats, one node per idempotency key
or triple, no relationship doubled, and no request answered with a 5xx or an unexpected
error. ``docs/reliability.md`` lists the code paths and what protects each.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
from neo4j import AsyncManagedTransaction
from neo4j.exceptions import TransientError

from graph import beliefs, entities, evidence, merge, propositions, votes
from graph.kit.connection import Database, fetch_all, fetch_one
from schema.models import (
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Role, Stance
from schema.votes import BallotCast, VoteOpen
from tests.factories import Caller, make_caller
from tests.reliability.conftest import Server
from tests.reliability.model import build_model

pytestmark = pytest.mark.slow

FUNCTIONS = ("product", "marketing", "sales", "success", "design")

STATE_BELIEF = """
mutation State($input: StateBeliefInput!) {
  stateBelief(input: $input) { id function seq p }
}
"""
WITHDRAW = """
mutation Withdraw($pid: ID!) { withdrawBelief(propositionId: $pid) { id seq withdrawn } }
"""
ADD_EVIDENCE = """
mutation Add($input: [EvidenceInput!]!) {
  addEvidence(input: $input) { created alreadyPresent items { id } }
}
"""
RETRACT = """
mutation Retract($id: ID!, $reason: String!) {
  retractEvidence(id: $id, reason: $reason) { id retractedAt retractReason }
}
"""
CREATE_PROPOSITION = """
mutation Create($input: CreatePropositionInput!) { createProposition(input: $input) { id } }
"""
CREATE_ENTITY = """
mutation Create($input: CreateEntityInput!) { createEntity(input: $input) { id name } }
"""


async def post_all(
    server: Server, calls: list[tuple[Caller, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Send every call at once; each must answer 200 (no 5xx); return the bodies in order."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=server.url, timeout=60.0, limits=limits) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers=caller.headers,
                )
                for caller, query, variables in calls
            )
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: len(calls)}, (statuses, [r.text[:300] for r in responses][:3])
    return [r.json() for r in responses]


def no_errors(bodies: list[dict[str, Any]]) -> None:
    errors = [b["errors"] for b in bodies if b.get("errors")]
    assert not errors, errors[:3]


async def count(db: Database, query: str, **params: Any) -> dict[str, Any]:
    row = await db.read(fetch_one, query, **params)
    assert row is not None
    return row


async def test_parallel_beliefs_and_evidence_on_one_proposition_are_all_kept_in_order(
    db: Database, shared_server: Server
) -> None:
    model = await build_model(db, pains=1)
    pid = model.proposition_ids[0]
    callers = {f: await make_caller(db, f, Role.CONTRIBUTOR) for f in FUNCTIONS}
    beliefs = [
        (callers[f], STATE_BELIEF, {"input": {"propositionId": pid, "p": (n % 10) / 10}})
        for n in range(10)
        for f in FUNCTIONS
    ]
    evidence = [
        (
            callers[FUNCTIONS[n % len(FUNCTIONS)]],
            ADD_EVIDENCE,
            {
                "input": [
                    {
                        "sourceType": "interview",
                        "summary": f"Interview {n}",
                        "bears": [{"propositionId": pid, "stance": "SUPPORTS"}],
                    }
                ]
            },
        )
        for n in range(50)
    ]
    bodies = await post_all(shared_server, beliefs + evidence)
    no_errors(bodies)

    stated = [b["data"]["stateBelief"] for b in bodies[: len(beliefs)]]
    for function in FUNCTIONS:
        seqs = sorted(s["seq"] for s in stated if s["function"] == function)
        assert seqs == list(range(1, 11)), (function, seqs)
    assert len({s["id"] for s in stated}) == 50

    added = [b["data"]["addEvidence"] for b in bodies[len(beliefs) :]]
    assert all(a["created"] == 1 for a in added)
    assert len({a["items"][0]["id"] for a in added}) == 50

    graph = await count(
        db,
        """
        MATCH (p:Proposition {id: $pid})
        RETURN COUNT { (:Belief)-[:ON]->(p) } AS beliefs,
               COUNT { (:Evidence)-[:BEARS_ON]->(p) } AS bearings,
               COUNT { MATCH (e:Evidence) } AS evidence,
               COUNT { MATCH (s:BeliefSeries {proposition_id: $pid}) WHERE s.seq = 10 } AS series,
               COUNT { MATCH (a:AuditEntry {action: 'stateBelief'}) } AS belief_audits
        """,
        pid=pid,
    )
    assert graph == {
        "beliefs": 50,
        "bearings": 50,
        "evidence": 50,
        "series": len(FUNCTIONS),
        "belief_audits": 50,
    }
    repeats = await db.read(
        fetch_all,
        """
        MATCH (b:Belief)-[:ON]->(:Proposition {id: $pid})
        WITH b.function AS function, b.seq AS seq, count(*) AS n WHERE n > 1
        RETURN function, seq
        """,
        pid=pid,
    )
    assert repeats == []


async def test_parallel_retries_with_one_idempotency_key_write_once(
    db: Database, shared_server: Server
) -> None:
    model = await build_model(db, pains=1)
    pid = model.proposition_ids[0]
    product = await make_caller(db, "product", Role.CONTRIBUTOR)
    sales = await make_caller(db, "sales", Role.CONTRIBUTOR)
    same_evidence = {
        "input": [
            {
                "sourceType": "win_loss",
                "summary": "Lost to spreadsheets",
                "idempotencyKey": "win-loss-17",
                "accountId": model.account_id,
                "bears": [{"propositionId": pid, "stance": "SUPPORTS"}],
            }
        ]
    }
    same_belief = {"input": {"propositionId": pid, "p": 0.8, "idempotencyKey": "belief-once"}}
    same_entity = {"input": {"kind": "FEATURE", "name": "CSV export", "idempotencyKey": "feat-1"}}
    calls = (
        [(product, ADD_EVIDENCE, same_evidence)] * 20
        + [(sales, STATE_BELIEF, same_belief)] * 20
        + [(product, CREATE_ENTITY, same_entity)] * 20
    )
    bodies = await post_all(shared_server, calls)
    no_errors(bodies)

    added = [b["data"]["addEvidence"] for b in bodies[:20]]
    assert sum(a["created"] for a in added) == 1
    assert sum(a["alreadyPresent"] for a in added) == 19
    assert len({a["items"][0]["id"] for a in added}) == 1
    assert len({b["data"]["stateBelief"]["id"] for b in bodies[20:40]}) == 1
    assert len({b["data"]["createEntity"]["id"] for b in bodies[40:]}) == 1

    graph = await count(
        db,
        """
        RETURN COUNT { MATCH (e:Evidence {idempotency_key: 'product:win-loss-17'}) } AS evidence,
               COUNT { MATCH (:Evidence)-[:BEARS_ON]->(:Proposition {id: $pid}) } AS bearings,
               COUNT { MATCH (:Evidence)-[:FROM_ACCOUNT]->(:Account) } AS account_links,
               COUNT { MATCH (b:Belief {idempotency_key: 'sales:belief-once'}) } AS beliefs,
               COUNT { MATCH (s:BeliefSeries) WHERE s.seq > 1 } AS series_past_one,
               COUNT { MATCH (e:Feature {idempotency_key: 'product:feat-1'}) } AS features,
               COUNT { MATCH (a:AuditEntry) WHERE a.member_id IN $callers } AS audits
        """,
        pid=pid,
        callers=[product.member.id, sales.member.id],
    )
    assert graph == {
        "evidence": 1,
        "bearings": 1,
        "account_links": 1,
        "beliefs": 1,
        "series_past_one": 0,
        "features": 1,
        "audits": 3,
    }


async def test_one_hundred_parallel_creations_of_one_triple_make_one_proposition(
    db: Database, shared_server: Server
) -> None:
    model = await build_model(db, pains=1)
    callers = [await make_caller(db, f, Role.CONTRIBUTOR) for f in FUNCTIONS]
    triple = {
        "input": {
            "subjectId": model.segment_id,
            "relation": "EXPERIENCES",
            "objectId": model.pain_ids[0],
        }
    }
    # The model already holds this triple; a new one races from nothing.
    new_pain = await post_all(
        shared_server,
        [(callers[0], CREATE_ENTITY, {"input": {"kind": "PAIN", "name": "Onboarding drags"}})],
    )
    pain_id = new_pain[0]["data"]["createEntity"]["id"]
    fresh = {"input": {**triple["input"], "objectId": pain_id}}
    calls = [(callers[n % len(callers)], CREATE_PROPOSITION, fresh) for n in range(100)]
    bodies = await post_all(shared_server, calls)
    no_errors(bodies)
    ids = {b["data"]["createProposition"]["id"] for b in bodies}
    assert len(ids) == 1
    (pid,) = ids

    graph = await count(
        db,
        """
        MATCH (seg:Segment {id: $seg}), (pain:Pain {id: $pain})
        RETURN COUNT { MATCH (p:Proposition) WHERE p.subject_id = $seg AND p.object_id = $pain }
                 AS propositions,
               COUNT { (:Proposition {id: $pid})-[:SUBJECT]->(seg) } AS subject_links,
               COUNT { (:Proposition {id: $pid})-[:OBJECT]->(pain) } AS object_links,
               COUNT { (seg)-[:EXPERIENCES]->(pain) } AS direct_edges,
               COUNT { MATCH (a:AuditEntry {action: 'createProposition'})
                       WHERE $pid IN a.target_ids } AS audits
        """,
        seg=model.segment_id,
        pain=pain_id,
        pid=pid,
    )
    assert graph == {
        "propositions": 1,
        "subject_links": 1,
        "object_links": 1,
        "direct_edges": 1,
        "audits": 1,
    }


async def test_parallel_withdrawals_and_retractions_take_effect_once(
    db: Database, shared_server: Server
) -> None:
    model = await build_model(db, pains=1)
    pid = model.proposition_ids[0]
    product = await make_caller(db, "product", Role.CONTRIBUTOR)
    setup = await post_all(
        shared_server,
        [
            (product, STATE_BELIEF, {"input": {"propositionId": pid, "p": 0.9}}),
            (
                product,
                ADD_EVIDENCE,
                {
                    "input": [
                        {
                            "sourceType": "review",
                            "summary": "Five stars",
                            "bears": [{"propositionId": pid, "stance": "SUPPORTS"}],
                        }
                    ]
                },
            ),
        ],
    )
    no_errors(setup)
    evidence_id = setup[1]["data"]["addEvidence"]["items"][0]["id"]

    calls = [(product, WITHDRAW, {"pid": pid})] * 20 + [
        (product, RETRACT, {"id": evidence_id, "reason": f"duplicate entry, per reviewer {n}"})
        for n in range(20)
    ]
    bodies = await post_all(shared_server, calls)

    withdrawals = bodies[:20]
    succeeded = [b for b in withdrawals if not b.get("errors")]
    assert len(succeeded) == 1
    refused = [b["errors"][0]["extensions"]["code"] for b in withdrawals if b.get("errors")]
    assert refused == ["BAD_USER_INPUT"] * 19
    retractions = bodies[20:]
    no_errors(retractions)
    seen = {
        (b["data"]["retractEvidence"]["retractedAt"], b["data"]["retractEvidence"]["retractReason"])
        for b in retractions
    }
    assert len(seen) == 1, "two retractions each believe their reason won"

    graph = await count(
        db,
        """
        MATCH (p:Proposition {id: $pid})
        RETURN COUNT { MATCH (b:Belief {withdrawn: true})-[:ON]->(p) } AS withdrawals,
               [(b:Belief)-[:ON]->(p) | b.seq] AS seqs,
               COUNT { MATCH (e:Evidence) WHERE e.retracted_at IS NOT NULL } AS retracted
        """,
        pid=pid,
    )
    assert graph["withdrawals"] == 1 and sorted(graph["seqs"]) == [1, 2]
    assert graph["retracted"] == 1


async def test_parallel_ballots_and_reveals_count_each_member_once(db: Database) -> None:
    """Blind votes have no HTTP route of their own yet: the race runs in the repository."""
    model = await build_model(db, pains=1)
    pid = model.proposition_ids[0]
    now = datetime.now(UTC)
    facilitator = (await make_caller(db, "leadership", Role.FACILITATOR)).actor
    voters = [(await make_caller(db, f, Role.CONTRIBUTOR)).actor for f in FUNCTIONS for _ in (1, 2)]
    vote = await db.write(
        votes.open_vote, facilitator, VoteOpen(proposition_ids=[pid], label="Q3"), now
    )

    # Every voter casts four times at once (changing their mind); then five reveals race.
    await asyncio.gather(
        *(
            db.write(
                votes.cast_ballots,
                voter,
                vote.id,
                [BallotCast(proposition_id=pid, p=round(0.2 * attempt, 1), magnitude=3)],
                now,
            )
            for voter in voters
            for attempt in range(1, 5)
        )
    )
    results = await asyncio.gather(
        *(db.write(votes.reveal, facilitator, vote.id, now) for _ in range(5))
    )
    assert all(r == results[0] for r in results)
    assert sorted(r.function for r in results[0]) == sorted(FUNCTIONS)
    assert all(r.count == 2 for r in results[0])

    graph = await count(
        db,
        """
        RETURN COUNT { MATCH (b:Ballot) } AS ballots,
               COUNT { MATCH (:Ballot)-[:IN_VOTE]->(:Vote) } AS ballot_links,
               COUNT { MATCH (r:VoteResult) } AS results,
               COUNT { MATCH (b:Belief) WHERE b.vote_id IS NOT NULL } AS beliefs,
               COUNT { MATCH (a:AuditEntry {action: 'revealVote'}) } AS reveals
        """,
    )
    assert graph == {
        "ballots": len(voters),
        "ballot_links": len(voters),
        "results": len(FUNCTIONS),
        "beliefs": len(FUNCTIONS),
        "reveals": 1,
    }


MERGE = """
mutation Merge($keep: ID!, $gone: ID!) { mergeEntities(keepId: $keep, mergeId: $gone) { id } }
"""
STRANDED = """
RETURN
  COUNT { MATCH (:Belief)-[:ON]->(p:Proposition) WHERE (p)-[:MERGED_INTO]->() } AS beliefs,
  COUNT { MATCH (:Evidence)-[:BEARS_ON]->(p:Proposition) WHERE (p)-[:MERGED_INTO]->() }
    AS bearings,
  COUNT { MATCH (p:Proposition)-[:SUBJECT|OBJECT]->(e:Entity)
          WHERE NOT (p)-[:MERGED_INTO]->() AND (e)-[:MERGED_INTO]->() } AS propositions,
  COUNT { MATCH (b:Belief) } AS all_beliefs,
  COUNT { MATCH (:Evidence)-[:BEARS_ON]->() } AS all_bearings
"""


async def test_writes_racing_a_merge_all_land_on_the_survivor(
    db: Database, shared_server: Server
) -> None:
    """A facilitator merges two pains while teams keep stating beliefs and adding evidence on
    the merged pain's proposition: nothing may stay behind on the merged proposition, and
    every (function, proposition) history keeps one number per statement."""
    model = await build_model(db, pains=2)
    facilitator = await make_caller(db, "leadership", Role.FACILITATOR)
    callers = [await make_caller(db, f, Role.CONTRIBUTOR) for f in FUNCTIONS]
    keep, gone = model.pain_ids
    old_pid = model.proposition_ids[1]
    seeded = await post_all(
        shared_server,
        [
            (c, STATE_BELIEF, {"input": {"propositionId": pid, "p": 0.5}})
            for c in callers
            for pid in model.proposition_ids[:2]
        ],
    )
    no_errors(seeded)
    writes = [
        (
            callers[n % len(callers)],
            STATE_BELIEF,
            {"input": {"propositionId": old_pid, "p": (n % 10) / 10}},
        )
        for n in range(25)
    ] + [
        (
            callers[n % len(callers)],
            ADD_EVIDENCE,
            {
                "input": [
                    {
                        "sourceType": "support_ticket",
                        "summary": f"Ticket {n}",
                        "bears": [{"propositionId": old_pid, "stance": "SUPPORTS"}],
                    }
                ]
            },
        )
        for n in range(25)
    ]
    bodies = await post_all(
        shared_server, [(facilitator, MERGE, {"keep": keep, "gone": gone}), *writes]
    )
    no_errors(bodies)

    graph = await count(db, STRANDED)
    assert graph == {
        "beliefs": 0,
        "bearings": 0,
        "propositions": 0,
        "all_beliefs": len(seeded) + 25,
        "all_bearings": 25,
    }
    histories = await db.read(
        fetch_all,
        """
        MATCH (b:Belief)-[:ON]->(p:Proposition)
        WITH p, b.function AS function, collect(b.seq) AS seqs
        OPTIONAL MATCH (s:BeliefSeries {key: function + '|' + p.id})
        RETURN p.id AS proposition, function, seqs, s.seq AS counter
        """,
    )
    for row in histories:
        assert sorted(row["seqs"]) == list(range(1, len(row["seqs"]) + 1)), row
        assert row["counter"] == len(row["seqs"]), row


BLOCKED = """
SHOW TRANSACTIONS YIELD status
WHERE status STARTS WITH 'Blocked'
RETURN count(*) AS blocked
"""


async def until_a_transaction_waits(db: Database) -> None:
    """Poll (bounded) until some transaction waits for a lock another one holds."""
    for _ in range(1200):
        async with db.driver.session(database=db.name) as session:
            row = await (await session.run(BLOCKED)).single()
        if row is not None and row["blocked"] > 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the merge never waited for the open transaction")


@pytest.mark.parametrize("write", ["belief", "evidence", "proposition"])
async def test_a_merge_takes_in_a_write_committed_while_it_runs(db: Database, write: str) -> None:
    """A statement, an evidence item or a new proposition on the merged pain is in flight
    when a facilitator merges the pain: the merge must wait for it and move it to the
    survivor, not leave it behind on the merged proposition or entity (where it would
    silently drop out of the model)."""
    model = await build_model(db, pains=2)
    keep, gone = model.pain_ids
    kept_pid, old_pid = model.proposition_ids[:2]
    now = datetime.now(UTC)
    product = (await make_caller(db, "product", Role.CONTRIBUTOR)).actor
    facilitator = (await make_caller(db, "leadership", Role.FACILITATOR)).actor
    for pid in (kept_pid, old_pid):
        await db.write(beliefs.state, product, BeliefCreate(proposition_id=pid, p=0.5), now)
        await db.write(evidence.add, product, [_item(pid, "earlier")], now)
    feature, _ = await db.write(
        entities.create, product, EntityCreate(kind=EntityKind.FEATURE, name="Guided setup"), now
    )

    async def write_on_the_merged_pain(tx: AsyncManagedTransaction) -> None:
        if write == "belief":
            await beliefs.state(tx, product, BeliefCreate(proposition_id=old_pid, p=0.9), now)
        elif write == "evidence":
            await evidence.add(tx, product, [_item(old_pid, "in flight")], now)
        else:
            relieves = PropositionCreate(
                subject_id=feature.id, relation=Relation.RELIEVES, object_id=gone
            )
            await propositions.create(tx, product, relieves, now)

    async with db.driver.session(database=db.name) as session:
        # An explicit transaction, held open on purpose; the repository functions run their
        # queries on any transaction.
        held = await session.begin_transaction()
        try:
            await write_on_the_merged_pain(cast(AsyncManagedTransaction, held))
            merging = asyncio.create_task(
                db.write(merge.merge_entities, facilitator, keep, gone, now)
            )
            await until_a_transaction_waits(db)
            try:
                await held.commit()
            except TransientError:
                # Chosen as a deadlock victim: a request's managed transaction would retry.
                await db.write(write_on_the_merged_pain)
        finally:
            if not held.closed():
                await held.rollback()
    await merging

    graph = await count(db, STRANDED)
    assert graph["beliefs"] == 0, "a belief stayed behind on the merged proposition"
    assert graph["bearings"] == 0, "evidence stayed behind on the merged proposition"
    assert graph["propositions"] == 0, "a proposition stayed behind on the merged entity"
    history = await db.read(beliefs.history, kept_pid, now, "product")
    assert [b.seq for b in history] == ([1, 2, 3] if write == "belief" else [1, 2])
    support_items = await db.read(evidence.for_proposition, kept_pid, now)
    assert len(support_items) == (3 if write == "evidence" else 2)


def _item(proposition_id: str, summary: str) -> EvidenceCreate:
    return EvidenceCreate(
        source_type="interview",
        summary=summary,
        bears=[BearingCreate(proposition_id=proposition_id, stance=Stance.SUPPORTS)],
    )
