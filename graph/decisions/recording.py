"""Recording decisions, reading them back, and writing them with given ids (restore, seed).

A decision is a ``(:Decision)`` node holding its title, rationale, time, author and, per
proposition it rests on (in the order given), the status and confidence the evidence gave
when it was made. It is never changed afterwards: whether it is at risk is computed when
asked (``graph/decisions/risk.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, model_version, propositions
from graph.decisions.weighing import Seen, weigh_as_seen
from graph.divergence.settings import EngineSettings
from graph.kit import keys
from graph.kit.connection import fetch_all, fetch_one
from graph.kit.records import to_datetime
from schema.decisions import (
    BasisRecord,
    Decision,
    DecisionCreate,
    DecisionKeyReused,
    DecisionOnRetiredProposition,
    NotADecisionMaker,
)
from schema.models import Actor
from schema.propositions import PropositionNotFound

DECISION_PROJECTION = """
d {.id, .title, .rationale, .decided_at, .decided_by, .function, .proposition_ids,
   .statuses, .confidences}
"""

# MERGE on the key (unique): concurrent retries with one key converge on one decision.
RECORD_DECISION = (
    """
MERGE (d:Decision {idempotency_key: $idempotency_key})
ON CREATE SET d.id = $id, d.title = $title, d.rationale = $rationale, d.decided_at = $now,
              d.decided_by = $actor_id, d.function = $function,
              d.proposition_ids = $proposition_ids, d.statuses = $statuses,
              d.confidences = $confidences, d.key_scope = $key_scope,
              d.creation_marker = $marker
WITH d, coalesce(d.creation_marker = $marker, false) AS created
REMOVE d.creation_marker
RETURN created, """
    + DECISION_PROJECTION
    + " AS decision"
)

# Seed data and snapshot restore: the id is given, and writing twice changes nothing.
UPSERT_DECISIONS = """
UNWIND $rows AS row
MERGE (d:Decision {id: row.id})
ON CREATE SET d.title = row.title, d.rationale = row.rationale, d.decided_at = row.decided_at,
              d.decided_by = row.decided_by, d.function = row.function,
              d.proposition_ids = row.proposition_ids, d.statuses = row.statuses,
              d.confidences = row.confidences
"""

DECISIONS_AS_OF = (
    "MATCH (d:Decision) WHERE d.decided_at <= $as_of\nRETURN "
    + DECISION_PROJECTION
    + " AS decision\nORDER BY d.decided_at DESC, d.id DESC\n"
)

ALL_DECISIONS = (
    "MATCH (d:Decision)\nRETURN "
    + DECISION_PROJECTION
    + " AS decision\nORDER BY d.decided_at, d.id\n"
)


def decision_from_row(row: dict[str, Any]) -> Decision:
    decided_at = to_datetime(row["decided_at"])
    assert decided_at is not None
    return Decision(
        id=row["id"],
        title=row["title"],
        rationale=row.get("rationale"),
        decided_at=decided_at,
        decided_by=row["decided_by"],
        function=row.get("function"),
        basis=tuple(
            BasisRecord(proposition_id=pid, status=status, confidence=confidence)
            for pid, status, confidence in zip(
                row["proposition_ids"], row["statuses"], row["confidences"], strict=True
            )
        ),
    )


def decision_row(decision: Decision) -> dict[str, Any]:
    """A decision as the node stores it (restore and seed write these)."""
    return {
        "id": decision.id,
        "title": decision.title,
        "rationale": decision.rationale,
        "decided_at": decision.decided_at,
        "decided_by": decision.decided_by,
        "function": decision.function,
        "proposition_ids": [b.proposition_id for b in decision.basis],
        "statuses": [b.status.value for b in decision.basis],
        "confidences": [b.confidence for b in decision.basis],
    }


async def record(
    tx: AsyncManagedTransaction,
    actor: Actor,
    data: DecisionCreate,
    now: datetime,
    settings: EngineSettings,
) -> tuple[Decision, bool]:
    """Record a decision on live propositions (contributors and above); return it and
    whether it is new (a retry with the same key returns the first)."""
    if not actor.can_write:
        raise NotADecisionMaker(actor.member_id)
    found = await propositions.get_many(tx, data.proposition_ids)
    for pid in data.proposition_ids:
        if pid not in found:
            raise PropositionNotFound(pid)
        retired_at = found[pid].retired_at
        if retired_at is not None and retired_at <= now:
            raise DecisionOnRetiredProposition(pid)
    live_ids = list(dict.fromkeys(found[pid].id for pid in data.proposition_ids))
    seen = [Seen(pid, pid, now) for pid in live_ids]
    figures = await weigh_as_seen(tx, settings, seen, as_of=now)
    decision_id = f"dec-{uuid.uuid4().hex[:16]}"
    # A client's key is its function's own (graph/kit/keys.py): two functions may use one key.
    key, scope = data.idempotency_key, keys.scope_of(actor.function)
    row = await fetch_one(
        tx,
        RECORD_DECISION,
        idempotency_key=keys.scoped(scope, key) if key else f"auto:{decision_id}",
        key_scope=scope if key else None,
        id=decision_id,
        title=data.title,
        rationale=data.rationale,
        now=now,
        actor_id=actor.member_id,
        function=actor.function,
        proposition_ids=live_ids,
        statuses=[figures[pid].status for pid in live_ids],
        confidences=[figures[pid].confidence for pid in live_ids],
        marker=uuid.uuid4().hex,
    )
    assert row is not None
    decision = decision_from_row(row["decision"])
    if not row["created"]:
        same = (
            decision.title == data.title and [b.proposition_id for b in decision.basis] == live_ids
        )
        if not same:
            raise DecisionKeyReused(key or "", decision.id)
        return decision, False
    await audit.record(
        tx,
        actor,
        "recordDecision",
        [decision.id, *live_ids],
        now,
        data.title[:200],
        change=model_version.NOTHING,
    )
    return decision, True


async def list_as_of(tx: AsyncManagedTransaction, as_of: datetime) -> list[Decision]:
    """The decisions made by ``as_of``, newest first."""
    rows = await fetch_all(tx, DECISIONS_AS_OF, as_of=as_of)
    return [decision_from_row(r["decision"]) for r in rows]


async def list_all(tx: AsyncManagedTransaction) -> list[Decision]:
    """Every decision, oldest first (snapshots)."""
    rows = await fetch_all(tx, ALL_DECISIONS)
    return [decision_from_row(r["decision"]) for r in rows]


async def upsert_many(tx: AsyncManagedTransaction, decisions: Iterable[Decision]) -> None:
    """Write decisions with their given ids (seed data, snapshot restore); existing ids are
    left as they are."""
    rows = [decision_row(d) for d in decisions]
    if rows:
        await tx.run(UPSERT_DECISIONS, rows=rows)


async def record_given(
    tx: AsyncManagedTransaction,
    settings: EngineSettings,
    decision_id: str,
    create: DecisionCreate,
    decided_at: datetime,
    decided_by: Actor,
) -> None:
    """Record a decision with a given id and time, its basis weighed as of that time (seed
    data: the demo company's decisions); a no-op when the id exists."""
    seen = [Seen(pid, pid, decided_at) for pid in create.proposition_ids]
    figures = await weigh_as_seen(tx, settings, seen, as_of=decided_at)
    decision = Decision(
        id=decision_id,
        title=create.title,
        rationale=create.rationale,
        decided_at=decided_at,
        decided_by=decided_by.member_id,
        function=decided_by.function,
        basis=tuple(
            BasisRecord(
                proposition_id=pid,
                status=figures[pid].status,
                confidence=figures[pid].confidence,
            )
            for pid in create.proposition_ids
        ),
    )
    await upsert_many(tx, [decision])
