"""Duplicates across teams (docs/design.md §2 item 8): features, pains, goals and claims that
look like the same thing under different names, by locally computed text similarity.
"""

from __future__ import annotations

from datetime import datetime

from neo4j import AsyncManagedTransaction

from analytics.similarity import near_duplicate_pairs
from graph.kit import offload
from graph.kit.connection import fetch_all
from graph.kit.records import to_datetime
from schema.divergence import DuplicateEntity, DuplicatePair, EntityRef
from schema.vocabulary import EntityKind

DUPLICATE_KINDS: tuple[EntityKind, ...] = (
    EntityKind.FEATURE,
    EntityKind.PAIN,
    EntityKind.GOAL,
    EntityKind.CLAIM,
)

# Live (created, not retired, not merged away) entities of the given kinds, with the function
# of the member who created each.
CANDIDATES = """
MATCH (e:Entity)
WHERE e.kind IN $kinds AND e.merged_into IS NULL AND e.created_at <= $as_of
  AND (e.retired_at IS NULL OR e.retired_at > $as_of)
OPTIONAL MATCH (m:Member {id: e.created_by})
RETURN e {.id, .kind, .name, .description, .status, .created_by, .created_at} AS entity,
       m.name AS member_name, m.function AS member_function
ORDER BY e.id
"""


async def load_candidates(
    tx: AsyncManagedTransaction, *, as_of: datetime, kinds: tuple[EntityKind, ...] = DUPLICATE_KINDS
) -> list[DuplicateEntity]:
    rows = await fetch_all(tx, CANDIDATES, kinds=[k.value for k in kinds], as_of=as_of)
    return [
        DuplicateEntity(
            entity=EntityRef(
                id=r["entity"]["id"],
                kind=EntityKind(r["entity"]["kind"]),
                name=r["entity"]["name"],
                status=r["entity"].get("status"),
                created_by=r["entity"].get("created_by"),
            ),
            description=r["entity"].get("description"),
            created_at=to_datetime(r["entity"]["created_at"]),
            created_by_name=r["member_name"],
            created_by_function=r["member_function"],
        )
        for r in rows
    ]


def duplicate_pairs(
    candidates: list[DuplicateEntity],
    *,
    min_similarity: float,
    kind: EntityKind | None = None,
) -> list[DuplicatePair]:
    """Near-duplicate pairs among the candidates (name and description compared), most
    alike first; only entities of the same kind are compared."""
    chosen = [c for c in candidates if kind is None or c.entity.kind is kind]
    by_id = {c.entity.id: c for c in chosen}
    items = [
        (c.entity.id, c.entity.kind.value, f"{c.entity.name}. {c.description or ''}")
        for c in chosen
    ]
    return [
        DuplicatePair(
            kind=EntityKind(pair.kind),
            similarity=pair.similarity,
            a=by_id[pair.a_id],
            b=by_id[pair.b_id],
        )
        for pair in near_duplicate_pairs(items, min_similarity=min_similarity)
    ]


async def duplicates(
    tx: AsyncManagedTransaction,
    *,
    as_of: datetime,
    min_similarity: float,
    kind: EntityKind | None = None,
) -> list[DuplicatePair]:
    """Load the candidates at ``as_of`` and pair them up (one query)."""
    kinds = DUPLICATE_KINDS if kind is None else (kind,)
    candidates = await load_candidates(tx, as_of=as_of, kinds=kinds)
    return await offload.in_thread(duplicate_pairs, candidates, min_similarity=min_similarity)
