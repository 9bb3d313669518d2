"""A nested GraphQL query over 100 items makes a bounded number of database round trips:
DataLoaders batch each level, so the count follows the depth of the query, not the number
of items.

The app runs on a database that counts every Cypher query (the token lookup included).
Depth is counted as the depth limiter counts it: the root field is at depth 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from neo4j import AsyncManagedTransaction

from graph import beliefs, entities, evidence, propositions
from graph.kit.connection import Database, fetch_all
from schema.models import (
    Actor,
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Role, Stance
from tests.api.apphelpers import CountingDatabase, app_client
from tests.factories import Caller, make_caller, settings_for_target

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SEGMENTS = 10
PAINS = 10  # SEGMENTS x PAINS = 100 propositions


async def _model(db: Database, writers: list[Actor]) -> None:
    """10 segments with an account each, 10 pains, 100 EXPERIENCES propositions, two
    evidence items and two functions' beliefs on each."""
    now = datetime.now(UTC) - timedelta(minutes=1)
    system = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> None:
        pains = [
            (
                await entities.create(
                    tx, system, EntityCreate(kind=EntityKind.PAIN, name=f"Pain {n}"), now
                )
            )[0]
            for n in range(PAINS)
        ]
        items = []
        for s in range(SEGMENTS):
            segment, _ = await entities.create(
                tx, system, EntityCreate(kind=EntityKind.SEGMENT, name=f"Segment {s}"), now
            )
            account, _ = await entities.create(
                tx,
                system,
                EntityCreate(kind=EntityKind.ACCOUNT, name=f"Account {s}", segment_id=segment.id),
                now,
            )
            for pain in pains:
                prop, _ = await propositions.create(
                    tx,
                    system,
                    PropositionCreate(
                        subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
                    ),
                    now,
                )
                for stance in (Stance.SUPPORTS, Stance.CONTRADICTS):
                    items.append(
                        EvidenceCreate(
                            source_type="interview",
                            summary=f"{segment.name} on {pain.name}: {stance.value}",
                            account_id=account.id,
                            bears=[BearingCreate(proposition_id=prop.id, stance=stance)],
                        )
                    )
                for n, writer in enumerate(writers):
                    await beliefs.state(
                        tx, writer, BeliefCreate(proposition_id=prop.id, p=0.3 + 0.4 * n), now
                    )
        await evidence.add(tx, writers[0], items, now)

    await db.write(build)


@pytest.fixture
async def counted(
    db: Database, neo4j_target: TestDatabase
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingDatabase, Caller]]:
    product = await make_caller(db, "product")
    sales = await make_caller(db, "sales", Role.CONTRIBUTOR)
    await _model(db, [product.actor, sales.actor])
    counting = CountingDatabase(db)
    async with app_client(settings_for_target(neo4j_target.target), counting) as http:
        counting.reset()
        yield http, counting, product


async def _run(
    http: httpx.AsyncClient, counting: CountingDatabase, caller: Caller, query: str
) -> tuple[dict[str, Any], int]:
    counting.reset()
    response = await http.post("/graphql", json={"query": query}, headers=caller.headers)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body.get("errors")
    return body["data"], counting.queries


# propositions(0) > nodes(1) > subject(2) > name(3)
SUBJECTS = "{ propositions(first: 100) { nodes { id subject { name } } } }"
SUBJECTS_DEPTH = 3

# propositions(0) > nodes(1) > evidence(2) > nodes(3) > account(4) > segment(5) > name(6)
EVIDENCE_ACCOUNTS_SEGMENTS = """
{ propositions(first: 100) { nodes { id
    evidence(first: 5) { nodes { summary account { name segment { name } } } } } } }
"""
EVIDENCE_ACCOUNTS_SEGMENTS_DEPTH = 6

# propositions(0) > nodes(1) > beliefs(2) > statedBy(3) > name(4)
BELIEFS_AND_WRITERS = """
{ propositions(first: 100) { nodes { id beliefs { function p statedBy { name } } } } }
"""
BELIEFS_AND_WRITERS_DEPTH = 4


CHAINS = [
    (SUBJECTS, SUBJECTS_DEPTH),
    (EVIDENCE_ACCOUNTS_SEGMENTS, EVIDENCE_ACCOUNTS_SEGMENTS_DEPTH),
    (BELIEFS_AND_WRITERS, BELIEFS_AND_WRITERS_DEPTH),
]


def _check_nested(nodes: list[dict[str, Any]]) -> None:
    """Every item really got its nested data."""
    assert len(nodes) == 100
    first = nodes[0]
    if "subject" in first:
        assert all(n["subject"]["name"].startswith("Segment") for n in nodes)
    if "evidence" in first:
        assert all(len(n["evidence"]["nodes"]) == 2 for n in nodes)
        assert all(
            e["account"]["segment"]["name"].startswith("Segment")
            for n in nodes
            for e in n["evidence"]["nodes"]
        )
    if "beliefs" in first:
        assert all(len(n["beliefs"]) == 2 and n["beliefs"][0]["statedBy"] for n in nodes)


# The token lookup, the page and its count, support, beliefs, evidence pages, and the
# entity and member loaders at the levels below them.
BROAD_BOUND = 12
BROAD = """
query($first: Int) { propositions(first: $first) { totalCount nodes {
  id text status support confidence
  subject { name } object { name }
  evidenceSupport { supportingWeight contradictingWeight evidenceCount }
  beliefs { function p statedBy { name } }
  evidence(first: 3) { totalCount nodes { summary recordedBy { name }
                                          account { name segment { name } } } }
} } }
"""


async def test_nested_queries_over_100_items_make_bounded_round_trips(counted: Any) -> None:
    http, counting, caller = counted
    # A chain of nested fields: one query per level (the token lookup is the "+ 1").
    for query, depth in CHAINS:
        data, queries = await _run(http, counting, caller, query)
        _check_nested(data["propositions"]["nodes"])
        assert queries <= depth + 1, f"{queries} Cypher queries for depth {depth}: {query}"

    # A broad query with many nested relations at once: a fixed number of queries,
    # whatever the page size (a loader called from two branches of the tree may dispatch
    # twice, depending on which branch's data arrives first, so the bound has some slack).
    for first in (5, 100):
        counting.reset()
        response = await http.post(
            "/graphql",
            json={"query": BROAD, "variables": {"first": first}},
            headers=caller.headers,
        )
        body = response.json()
        assert "errors" not in body, body.get("errors")
        nodes = body["data"]["propositions"]["nodes"]
        assert len(nodes) == first
        if first == 100:
            _check_nested(nodes)
        assert counting.queries <= BROAD_BOUND, "\n".join(counting.log)


ENTITY = "query($id: ID!) { entity(id: $id) { id kind name segment { name } } }"


async def _all_at_once(
    http: httpx.AsyncClient,
    counting: CountingDatabase,
    caller: Caller,
    query: str,
    root: str,
    ids: list[str],
) -> list[Any]:
    """``query`` for each of ``ids``, one request each, all at once: each request's ``root``,
    the queries counted from the burst on (the token is checked and kept before it)."""

    async def one(wanted: str) -> Any:
        response = await http.post(
            "/graphql", json={"query": query, "variables": {"id": wanted}}, headers=caller.headers
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"][root]

    await one(ids[0])
    counting.reset()
    return list(await asyncio.gather(*(one(wanted) for wanted in ids)))


async def test_entities_asked_for_at_once_are_read_together(counted: Any, db: Database) -> None:
    """Thirty requests for one entity each, all at once (a tool's burst): each gets its own
    entity, an unknown id gets null, and the burst costs a few reads, not thirty."""
    http, counting, caller = counted
    found = await db.read(
        fetch_all, "MATCH (e:Entity) RETURN e.id AS id, e.name AS name ORDER BY e.id"
    )
    names = {row["id"]: row["name"] for row in found}
    wanted = [*sorted(names)[:29], "ent-unknown"]

    answers = await _all_at_once(http, counting, caller, ENTITY, "entity", wanted)
    assert [a and a["id"] for a in answers] == [*wanted[:29], None]
    assert [a and a["name"] for a in answers] == [*(names[i] for i in wanted[:29]), None]
    accounts = [a for a in answers if a and a["kind"] == "ACCOUNT"]
    assert accounts and all(a["segment"]["name"].startswith("Segment ") for a in accounts)
    # The entities in a few reads, their segments in a few more (each request's loader).
    assert counting.queries < len(wanted), counting.log


PROPOSITION = "query($id: ID!) { proposition(id: $id) { id relation subject { name } } }"


async def test_propositions_asked_for_at_once_are_read_together(counted: Any, db: Database) -> None:
    http, counting, caller = counted
    found = await db.read(
        fetch_all,
        "MATCH (p:Proposition)-[:SUBJECT]->(s) RETURN p.id AS id, s.name AS subject ORDER BY p.id",
    )
    subjects = {row["id"]: row["subject"] for row in found}
    wanted = [*sorted(subjects)[:29], "prop-unknown"]

    answers = await _all_at_once(http, counting, caller, PROPOSITION, "proposition", wanted)
    assert [a and a["id"] for a in answers] == [*wanted[:29], None]
    assert [a and a["subject"]["name"] for a in answers] == [
        *(subjects[pid] for pid in wanted[:29]),
        None,
    ]
    assert all(a["relation"] == "EXPERIENCES" for a in answers[:29])
    # The propositions in a few reads (each request's loader reads its subject).
    reads = [q for q in counting.log if "(found:Proposition" in q]
    assert len(reads) < len(wanted) // 3, counting.log
