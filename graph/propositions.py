"""Propositions: reified ``(subject)-[RELATION]->(object)`` statements, keyed by their triple.

Two teams creating the same statement at once converge on one node: the id is a hash of the
triple, and ``MERGE`` on it is backed by a uniqueness constraint. Only the transaction that
created the node links it to its endpoints, so concurrent creators never double the edges.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, entities, model_version
from graph.kit import records
from graph.kit.connection import fetch_all, fetch_collected, fetch_one, one_statement
from graph.kit.scope import SEGMENT_SCOPE, VISIBLE_AS_OF
from graph.kit.vocabulary import LINK_PROPOSITION, UNLINK_DIRECT_EDGE
from schema.entities import EntityRetired
from schema.errors import ReasonRequired
from schema.models import Actor, Proposition, PropositionCreate
from schema.propositions import EndpointKindsNotAllowed, PropositionNotFound, SameEndpoints
from schema.vocabulary import Relation, endpoint_error

PROPOSITION_PROJECTION = """
p {.id, .relation, .subject_id, .object_id, .created_at, .created_by, .retired_at,
   .retired_reason}
"""

# As PROPOSITION_PROJECTION, times as text (``records.from_text``), for the reads a GraphQL
# listing and its loaders run on every request.
PROPOSITION_TEXT_PROJECTION = """
p {.id, .relation, .subject_id, .object_id, .created_by, .retired_reason,
   created_at: split(toString(p.created_at), '[')[0],
   retired_at: split(toString(p.retired_at), '[')[0]}
"""

MERGE_PROPOSITION = """
MERGE (p:Proposition {id: $id})
ON CREATE SET p.relation = $relation, p.subject_id = $subject_id, p.object_id = $object_id,
              p.created_at = $now, p.created_by = $actor_id, p.creation_marker = $marker
WITH p, coalesce(p.creation_marker = $marker, false) AS created
REMOVE p.creation_marker
RETURN created
"""

UPSERT_PROPOSITION = """
MERGE (p:Proposition {id: $id})
ON CREATE SET p.relation = $relation, p.subject_id = $subject_id, p.object_id = $object_id,
              p.created_at = $created_at, p.created_by = $created_by,
              p.retired_at = $retired_at, p.retired_reason = $retired_reason,
              p.creation_marker = $marker
WITH p, coalesce(p.creation_marker = $marker, false) AS created
REMOVE p.creation_marker
RETURN created
"""

GET_PROPOSITION = (
    "MATCH (found:Proposition {id: $id})"
    + entities.FOLLOW_MERGES
    + "WITH coalesce(survivor, found) AS p\nRETURN "
    + PROPOSITION_PROJECTION
    + " AS proposition"
)

# Propositions resolve as entities do: each id asked for, to the survivor of its merges.
_RESOLVED = (
    "UNWIND $ids AS wanted\nMATCH (found:Proposition {id: wanted})"
    + entities.FOLLOW_MERGES
    + "WITH wanted, coalesce(survivor, found) AS p\n"
)

GET_PROPOSITIONS = _RESOLVED + "RETURN wanted, " + PROPOSITION_TEXT_PROJECTION + " AS proposition"

# The propositions a listing shows: in the segment's scope (every one for a null
# $segment_id), of the relation asked for (any for null), visible as of $as_of; ``p`` with its
# ``subject`` and ``object``. ``graph/bulk_reads.py`` lists the same ones.
_IN_SCOPE = SEGMENT_SCOPE + "WITH DISTINCT p WHERE ($relation IS NULL OR p.relation = $relation)"
LISTED = _IN_SCOPE + VISIBLE_AS_OF

_BY_ID = "  AND ($ids IS NULL OR p.id IN $ids)\n"
LISTED_BY_ID = LISTED + _BY_ID

# The typed listing's own filters, by the parameter each takes, written into the query only
# when given (``listed_by_id``: Cypher does not skip an ``$x IS NULL OR ...`` guard's other
# side, see graph/evidence/reading.py): a lower-cased substring ($search) of the
# proposition's text ('Subject RELATION Object', as its ``text`` field reads it: the
# endpoints are live, a merged one hides the proposition), and a half-open range of creation
# times, compared as instants.
_FILTERS = {
    "search": """  AND toLower(subject.name + ' ' + p.relation + ' ' + object.name) CONTAINS $search
""",
    "created_from": """  AND [p.created_at.epochSeconds, p.created_at.nanosecond]
      >= [$created_from.epochSeconds, $created_from.nanosecond]
""",
    "created_before": """  AND [p.created_at.epochSeconds, p.created_at.nanosecond]
      < [$created_before.epochSeconds, $created_before.nanosecond]
""",
}
FILTER_NAMES = frozenset(_FILTERS)


def listed_by_id(given: frozenset[str] = frozenset()) -> str:
    """LISTED_BY_ID with the filters of ``given`` (_FILTERS names; ``given_filters``)."""
    return LISTED_BY_ID + _filters(given)


def _filters(given: frozenset[str]) -> str:
    return "".join(text for name, text in _FILTERS.items() if name in given)


def given_filters(filters: dict[str, Any]) -> frozenset[str]:
    """The listing's own filters (_FILTERS) that ``filters`` (``listing_filters``) set."""
    return frozenset(name for name in FILTER_NAMES if filters[name] is not None)


# The rows after the cursor's (created_at, id), null for a first page.
AFTER = "  AND ($after_created IS NULL OR [p.created_at, p.id] > [$after_created, $after_id])\n"
# As AFTER, for the newest first.
AFTER_NEWEST = (
    "  AND ($after_created IS NULL OR [p.created_at, p.id] < [$after_created, $after_id])\n"
)

# The listing's orders, by the name the listing takes (the GraphQL ``PropositionOrder``):
# the rows after the cursor, and the ORDER BY that pages them.
ORDERS = {
    "OLDEST_FIRST": (AFTER, "ORDER BY p.created_at, p.id\n"),
    "NEWEST_FIRST": (AFTER_NEWEST, "ORDER BY p.created_at DESC, p.id DESC\n"),
}


def listed_page(order: str = "OLDEST_FIRST", given: frozenset[str] = frozenset()) -> str:
    """The first ``$limit`` propositions of the listing after the cursor, in ``order``, with
    the filters ``given``: the rows of LISTED_BY_ID, yielding ``p``.

    The scope's propositions are put in order by their own properties before their endpoints
    are looked at, so Neo4j tests the endpoints only until the page is full and the final
    ORDER BY is a plain limit. Testing every proposition's endpoints first, then taking the
    top of them, cost 62,900 database hits for a first page of 101 at S; this 28,400.
    """
    after, order_by = ORDERS[order]
    return (
        _IN_SCOPE
        + "\n"
        + after
        + "WITH p "
        + order_by
        + VISIBLE_AS_OF
        + _BY_ID
        + _filters(given)
        + "RETURN p "
        + order_by.rstrip()
        + " LIMIT $limit\n"
    )


LIST_PROPOSITIONS = (
    "CALL {"
    + listed_page()
    + "}\nRETURN "
    + PROPOSITION_TEXT_PROJECTION
    + """ AS proposition
ORDER BY p.created_at, p.id
"""
)

COUNT_PROPOSITIONS = LISTED_BY_ID + "RETURN count(p) AS total"


def count_propositions(given: frozenset[str] = frozenset()) -> str:
    return listed_by_id(given) + "RETURN count(p) AS total"


def count_by_relation_query(given: frozenset[str] = frozenset()) -> str:
    """The facets of the whole listing (every page): how many per relation, and every id
    (for the per-status counts, which need each one's support figures)."""
    return (
        listed_by_id(given)
        + "RETURN p.relation AS relation, count(p) AS listed, collect(p.id) AS ids\n"
    )


# What a write needs of the propositions it attaches to: the live id (a merged id's survivor)
# and whether it is retired, collected into one record.
LIVE_IDS = _RESOLVED + "RETURN collect([wanted, p.id, p.retired_at IS NOT NULL]) AS rows\n"

# Statements, evidence and merges write-lock a proposition before reading it (set and
# removed at once: nothing stays), so a merge never reads past a write in flight on a
# proposition it moves: the write commits first and is moved, or waits and lands on the
# survivor.
LOCK_PROPOSITIONS = """
UNWIND $ids AS wanted
MATCH (p:Proposition {id: wanted})
SET p.lock_marker = true
REMOVE p.lock_marker
"""

RETIRE_PROPOSITION = """
MATCH (p:Proposition {id: $id})
SET p.retired_at = coalesce(p.retired_at, $now),
    p.retired_reason = coalesce(p.retired_reason, $reason),
    p.retired_by = coalesce(p.retired_by, $actor_id)
"""

UNRETIRE_PROPOSITION = """
MATCH (p:Proposition {id: $id})
SET p.retired_at = null, p.retired_reason = null, p.retired_by = null
"""


def proposition_id(subject_id: str, relation: Relation, object_id: str) -> str:
    """The deterministic id of a triple: the same statement always gets the same id."""
    digest = hashlib.sha256(f"{subject_id}|{relation.value}|{object_id}".encode()).hexdigest()
    return f"prop-{digest[:24]}"


async def create(
    tx: AsyncManagedTransaction, actor: Actor, data: PropositionCreate, now: datetime
) -> tuple[Proposition, bool]:
    """Create the proposition for a triple, or return the existing one."""
    # Locked before read: an endpoint being merged is read as its survivor, after the merge.
    subject = await entities.require_locked(tx, data.subject_id)
    obj = await entities.require_locked(tx, data.object_id)
    if subject.id == obj.id:
        raise SameEndpoints(subject.id)
    problem = endpoint_error(data.relation, subject.kind, obj.kind)
    if problem:
        raise EndpointKindsNotAllowed(data.relation, subject.kind, obj.kind, problem)
    for endpoint in (subject, obj):
        if endpoint.retired_at is not None:
            raise EntityRetired(endpoint.id, reason=endpoint.retired_reason)
    pid = proposition_id(subject.id, data.relation, obj.id)
    row = await fetch_one(
        tx,
        MERGE_PROPOSITION,
        id=pid,
        relation=data.relation.value,
        subject_id=subject.id,
        object_id=obj.id,
        now=now,
        actor_id=actor.member_id,
        marker=uuid.uuid4().hex,
    )
    created = bool(row and row["created"])
    if created:
        await tx.run(
            LINK_PROPOSITION[data.relation], id=pid, subject_id=subject.id, object_id=obj.id
        )
        await audit.record(
            tx, actor, "createProposition", [pid], now, change=model_version.propositions([pid])
        )
    return await require(tx, pid), created


async def upsert(tx: AsyncManagedTransaction, row: dict[str, Any]) -> str:
    """Write a proposition as given (seed data, snapshot restore); a no-op when it exists."""
    relation = Relation(row["relation"])
    pid = row.get("id") or proposition_id(row["subject_id"], relation, row["object_id"])
    created = await fetch_one(
        tx,
        UPSERT_PROPOSITION,
        id=pid,
        relation=relation.value,
        subject_id=row["subject_id"],
        object_id=row["object_id"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        retired_at=row.get("retired_at"),
        retired_reason=row.get("retired_reason"),
        marker=uuid.uuid4().hex,
    )
    if created and created["created"]:
        await tx.run(
            LINK_PROPOSITION[relation],
            id=pid,
            subject_id=row["subject_id"],
            object_id=row["object_id"],
        )
    return str(pid)


@one_statement
async def get(tx: AsyncManagedTransaction, proposition_id_: str) -> Proposition | None:
    row = await fetch_one(tx, GET_PROPOSITION, id=proposition_id_)
    return None if row is None else records.proposition(row["proposition"])


async def require(tx: AsyncManagedTransaction, proposition_id_: str) -> Proposition:
    """A proposition (a merged id resolves to its survivor), refused when there is none."""
    found = await get(tx, proposition_id_)
    if found is None:
        raise PropositionNotFound(proposition_id_)
    return found


@one_statement
async def get_many(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Proposition]:
    """Propositions by id (merged ids resolve to their survivor), for DataLoaders."""
    rows = await fetch_all(tx, GET_PROPOSITIONS, ids=ids)
    return {row["wanted"]: records.proposition_at_text(row["proposition"]) for row in rows}


async def lock(tx: AsyncManagedTransaction, ids: list[str]) -> None:
    """Write-lock these propositions until the transaction ends (in id order)."""
    await tx.run(LOCK_PROPOSITIONS, ids=sorted(set(ids)))


@dataclass(frozen=True, slots=True)
class LiveId:
    id: str
    """The proposition's id, or its survivor's if it was merged."""
    retired: bool


async def live_ids(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, LiveId]:
    """The live id of each existing proposition named, and whether it is retired: what a
    write needs, without reading whole propositions (a tenth of a bulk import's time did
    that; benchmark a, docs/benchmarks.md)."""
    rows = await fetch_collected(tx, LIVE_IDS, "rows", ids=ids)
    return {wanted: LiveId(live, retired) for wanted, live, retired in rows}


async def live_ids_locked(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, LiveId]:
    """``live_ids``, with each proposition and its survivor write-locked before the read.

    A write that attaches to a proposition (a statement, evidence) resolves it this way, so
    a merge moving it either committed before (and the write lands on the survivor) or
    waits for the write and moves it.
    """
    nothing: dict[str, LiveId] = {}
    return await entities.read_locked(
        tx,
        ids,
        lock,
        lambda: live_ids(tx, ids),
        lambda found: {live.id for live in found.values()},
        nothing,
    )


async def get_many_locked(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Proposition]:
    """``get_many``, with each proposition and its survivor write-locked before the read."""
    await live_ids_locked(tx, ids)
    return await get_many(tx, ids)


async def list_page(
    tx: AsyncManagedTransaction,
    *,
    segment_id: str | None,
    relation: Relation | None,
    as_of: datetime,
    ids: list[str] | None,
    after: list[Any] | None,
    limit: int,
) -> tuple[list[Proposition], int]:
    filters = listing_filters(segment_id, relation, as_of, ids)
    rows = await fetch_all(
        tx,
        LIST_PROPOSITIONS,
        **filters,
        after_created=datetime.fromisoformat(after[0]) if after else None,
        after_id=after[1] if after else None,
        limit=limit,
    )
    total = await fetch_one(tx, COUNT_PROPOSITIONS, **filters)
    return [records.proposition_at_text(r["proposition"]) for r in rows], int(
        total["total"] if total else 0
    )


def listing_filters(
    segment_id: str | None,
    relation: Relation | None,
    as_of: datetime,
    ids: list[str] | None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
) -> dict[str, Any]:
    """The parameters of ``listed_by_id``: ``search`` lower-cased already, or None."""
    return {
        "segment_id": segment_id,
        "relation": relation.value if relation else None,
        "as_of": as_of,
        "ids": ids,
        "search": search,
        "created_from": created_from,
        "created_before": created_before,
    }


async def count_by_relation(
    tx: AsyncManagedTransaction, filters: dict[str, Any]
) -> dict[str, tuple[int, list[str]]]:
    """Per relation, how many propositions the listing of ``filters`` (``listing_filters``)
    holds over all its pages, and their ids."""
    rows = await fetch_all(tx, count_by_relation_query(given_filters(filters)), **filters)
    return {row["relation"]: (int(row["listed"]), list(row["ids"])) for row in rows}


async def retire(
    tx: AsyncManagedTransaction, actor: Actor, proposition_id_: str, reason: str, now: datetime
) -> Proposition:
    if not reason.strip():
        raise ReasonRequired("retire a proposition")
    current = await require(tx, proposition_id_)
    await tx.run(
        RETIRE_PROPOSITION, id=current.id, now=now, reason=reason, actor_id=actor.member_id
    )
    await tx.run(UNLINK_DIRECT_EDGE[current.relation], id=current.id)
    await audit.record(
        tx,
        actor,
        "retireProposition",
        [current.id],
        now,
        reason[:200],
        change=model_version.propositions([current.id]),
    )
    return await require(tx, current.id)


async def unretire(
    tx: AsyncManagedTransaction, actor: Actor, proposition_id_: str, reason: str, now: datetime
) -> Proposition:
    """Bring a retired proposition back, with a reason (refused while an endpoint is
    retired); the audit entry keeps what the retirement was. A live one is answered as is."""
    if not reason.strip():
        raise ReasonRequired("unretire a proposition")
    current = await require(tx, proposition_id_)
    if current.retired_at is None:
        return current
    for endpoint_id in (current.subject_id, current.object_id):
        endpoint = await entities.require(tx, endpoint_id)
        if endpoint.retired_at is not None:
            raise EntityRetired(endpoint.id, reason=endpoint.retired_reason)
    await tx.run(UNRETIRE_PROPOSITION, id=current.id)
    await tx.run(
        LINK_PROPOSITION[current.relation],
        id=current.id,
        subject_id=current.subject_id,
        object_id=current.object_id,
    )
    was = f"retired {current.retired_at.isoformat()}: {(current.retired_reason or '')[:200]}"
    detail = f"{reason[:200]} (was {was})"
    await audit.record(
        tx,
        actor,
        "unretireProposition",
        [current.id],
        now,
        detail,
        change=model_version.propositions([current.id]),
    )
    return await require(tx, current.id)
