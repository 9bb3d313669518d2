"""Entities: segments, accounts, goals, pains, alternatives, features and claims."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from neo4j import AsyncManagedTransaction

from graph import audit, model_version
from graph.kit import keys, records
from graph.kit.connection import fetch_all, fetch_collected, fetch_one, one_statement
from graph.kit.vocabulary import CREATE_ENTITY, MERGE_ENTITY_BY_KEY, UPSERT_ENTITY_BY_ID
from schema.entities import (
    EntityNotFound,
    EntityRetired,
    FieldNotForKind,
    IdempotencyKeyTaken,
    SegmentNotFound,
)
from schema.errors import ReasonRequired
from schema.members import NotAFacilitator
from schema.models import Actor, Entity, EntityCreate, EntityUpdate, check_status
from schema.vocabulary import AlternativeKind, EntityKind, Role

T = TypeVar("T")

# The public shape of an entity; merged entities resolve to their survivor.
ENTITY_PROJECTION = """
e {.id, .kind, .name, .description, .status, .alt_kind, .channel, .created_at, .created_by,
   .retired_at, .retired_reason, .merged_into,
   segment_id: head([(e)-[:IN_SEGMENT]->(s:Segment) | s.id])}
"""

# As ENTITY_PROJECTION, times as text (``records.entity_at_text``), for the typed listing's
# one query (graph/listings.py), which reads two entities per proposition of a page.
ENTITY_TEXT_PROJECTION = """
e {.id, .kind, .name, .description, .status, .alt_kind, .channel, .created_by,
   .retired_reason, .merged_into,
   created_at: split(toString(e.created_at), '[')[0],
   retired_at: split(toString(e.retired_at), '[')[0],
   segment_id: head([(e)-[:IN_SEGMENT]->(s:Segment) | s.id])}
"""

# How many MERGED_INTO links a read follows, and how many times a lock-then-read follows a
# survivor that was itself merged meanwhile.
MAX_MERGE_HOPS = 10

# Resolves ``found`` (the node of the id asked for) to ``survivor``, the end of its MERGED_INTO
# chain, or null when it was never merged: callers go on with ``coalesce(survivor, found)``. It
# serves entities and propositions alike (MERGED_INTO only joins two nodes of one label); the
# bound is MAX_MERGE_HOPS.
FOLLOW_MERGES = """
OPTIONAL MATCH (found)-[:MERGED_INTO*1..10]->(survivor)
WHERE NOT (survivor)-[:MERGED_INTO]->()
"""

GET_ENTITY = (
    "MATCH (found:Entity {id: $id})"
    + FOLLOW_MERGES
    + """WITH coalesce(survivor, found) AS e
WHERE $as_of IS NULL OR e.created_at <= $as_of
RETURN """
    + ENTITY_PROJECTION
    + " AS entity"
)

GET_ENTITIES = (
    """
UNWIND $ids AS wanted
MATCH (found:Entity {id: wanted})"""
    + FOLLOW_MERGES
    + "WITH wanted, coalesce(survivor, found) AS e\nRETURN wanted, "
    + ENTITY_PROJECTION
    + " AS entity"
)

# The entities a listing shows (and counts) as of $as_of; merged entities never show.
_LISTED = """
MATCH (e:Entity)
WHERE ($kind IS NULL OR e.kind = $kind)
  AND e.merged_into IS NULL
  AND e.created_at <= $as_of
  AND ($include_retired OR e.retired_at IS NULL OR e.retired_at > $as_of)
  AND ($search IS NULL OR toLower(e.name) CONTAINS $search
       OR toLower(coalesce(e.description, '')) CONTAINS $search)
"""

LIST_ENTITIES = (
    _LISTED
    + """  AND ($after_created IS NULL OR [e.created_at, e.id] > [$after_created, $after_id])
RETURN """
    + ENTITY_PROJECTION
    + """ AS entity
ORDER BY e.created_at, e.id
LIMIT $limit
"""
)

LIST_ENTITIES_NEWEST_FIRST = (
    _LISTED
    + """  AND ($after_created IS NULL OR [e.created_at, e.id] < [$after_created, $after_id])
RETURN """
    + ENTITY_PROJECTION
    + """ AS entity
ORDER BY e.created_at DESC, e.id DESC
LIMIT $limit
"""
)

# By name in any case, then id; the cursor is the previous page's last (lower-cased name,
# id), passed as $after_name. A name changed between pages moves its entity, as a name
# has no history to pin.
LIST_ENTITIES_BY_NAME = (
    _LISTED
    + """  AND ($after_name IS NULL OR [toLower(e.name), e.id] > [$after_name, $after_id])
RETURN """
    + ENTITY_PROJECTION
    + """ AS entity
ORDER BY toLower(e.name), e.id
LIMIT $limit
"""
)

# The listing's orders, by the name ``list_page`` takes (the GraphQL ``EntityOrder``).
ENTITY_ORDERS = {
    "OLDEST_FIRST": LIST_ENTITIES,
    "NEWEST_FIRST": LIST_ENTITIES_NEWEST_FIRST,
    "NAME": LIST_ENTITIES_BY_NAME,
}

COUNT_ENTITIES = _LISTED + "RETURN count(e) AS total\n"

# A write lock held until the transaction ends (set and removed at once: nothing stays).
# Merges lock the two entities, and proposition creation locks its endpoints, before
# reading them, so a proposition is never created on an entity a merge is moving.
LOCK_ENTITIES = """
UNWIND $ids AS wanted
MATCH (e:Entity {id: wanted})
SET e.lock_marker = true
REMOVE e.lock_marker
"""

SEGMENT_EXISTS = "MATCH (s:Segment {id: $id}) WHERE s.retired_at IS NULL RETURN s.id AS id"

UPDATE_ENTITY = """
MATCH (e:Entity {id: $id})
SET e.name = coalesce($name, e.name),
    e.description = coalesce($description, e.description),
    e.status = coalesce($status, e.status),
    e.alt_kind = coalesce($alt_kind, e.alt_kind),
    e.channel = coalesce($channel, e.channel),
    e.updated_at = $now, e.updated_by = $actor_id
RETURN e.id AS id
"""

MARK_KEY_SCOPE = "MATCH (e:Entity {id: $id}) SET e.key_scope = $scope"

RETIRE_ENTITY = """
MATCH (e:Entity {id: $id})
SET e.retired_at = coalesce(e.retired_at, $now),
    e.retired_reason = coalesce(e.retired_reason, $reason),
    e.retired_by = coalesce(e.retired_by, $actor_id)
RETURN e.id AS id
"""

RETIREMENT = "MATCH (e:Entity {id: $id}) RETURN e.retired_by AS by"

# Undoing a retirement: the entity is live again; the audit log keeps both steps.
UNRETIRE_ENTITY = """
MATCH (e:Entity {id: $id})
SET e.retired_at = null, e.retired_reason = null, e.retired_by = null
RETURN e.id AS id
"""


async def create(
    tx: AsyncManagedTransaction, actor: Actor, data: EntityCreate, now: datetime
) -> tuple[Entity, bool]:
    """Create an entity (once per idempotency key); return it and whether it is new."""
    if data.segment_id is not None:
        if await fetch_one(tx, SEGMENT_EXISTS, id=data.segment_id) is None:
            raise SegmentNotFound(data.segment_id)
    params: dict[str, Any] = {
        "id": f"{data.kind.id_prefix}-{uuid.uuid4().hex[:16]}",
        "kind": data.kind.value,
        "name": data.name,
        "description": data.description,
        "status": data.status,
        "alt_kind": data.alt_kind,
        "channel": data.channel,
        "segment_id": data.segment_id,
        "now": now,
        "actor_id": actor.member_id,
        # A key belongs to the author's function (graph/kit/keys.py).
        "idempotency_key": keys.scoped(keys.scope_of(actor.function), data.idempotency_key),
        "marker": uuid.uuid4().hex,
    }
    if data.idempotency_key is None:
        row = await fetch_one(tx, CREATE_ENTITY[data.kind], **params)
    else:
        row = await fetch_one(tx, MERGE_ENTITY_BY_KEY[data.kind], **params)
    assert row is not None
    created = bool(row["created"])
    if created and data.idempotency_key is not None:
        await tx.run(MARK_KEY_SCOPE, id=row["id"], scope=keys.scope_of(actor.function))
    if created:
        await audit.record(
            tx,
            actor,
            "createEntity",
            [row["id"]],
            now,
            data.name[:200],
            change=model_version.NOTHING,  # no proposition is about it yet
        )
    entity = await require(tx, row["id"])
    if not created and entity.kind is not data.kind:
        raise IdempotencyKeyTaken(data.idempotency_key, entity)
    return entity, created


async def upsert_by_id(tx: AsyncManagedTransaction, kind: EntityKind, row: dict[str, Any]) -> None:
    """Write an entity with a given id (seed data, snapshot restore); a no-op when it exists."""
    params = {
        "id": row["id"],
        "kind": kind.value,
        "name": row["name"],
        "description": row.get("description"),
        "status": row.get("status"),
        "alt_kind": row.get("alt_kind"),
        "channel": row.get("channel"),
        "segment_id": row.get("segment_id"),
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "idempotency_key": row.get("idempotency_key"),
        "retired_at": row.get("retired_at"),
        "retired_reason": row.get("retired_reason"),
        "merged_into": row.get("merged_into"),
    }
    await tx.run(UPSERT_ENTITY_BY_ID[kind], params)


@one_statement
async def get(tx: AsyncManagedTransaction, entity_id: str, as_of: datetime | None) -> Entity | None:
    # Now is no time at all: the driver's packing of a datetime parameter was a twentieth of
    # a small request's CPU (benchmark "entity by id", docs/benchmarks.md).
    row = await fetch_one(tx, GET_ENTITY, id=entity_id, as_of=as_of)
    return None if row is None else records.entity(row["entity"])


async def require(tx: AsyncManagedTransaction, entity_id: str) -> Entity:
    """An entity as it is now (a merged id resolves to its survivor), refused when none."""
    found = await get(tx, entity_id, as_of=None)
    if found is None:
        raise EntityNotFound(entity_id)
    return found


async def lock(tx: AsyncManagedTransaction, ids: list[str]) -> None:
    """Write-lock these entities until the transaction ends (in id order)."""
    await tx.run(LOCK_ENTITIES, ids=sorted(set(ids)))


async def get_locked(tx: AsyncManagedTransaction, entity_id: str) -> Entity | None:
    """An entity (a merged id resolves to its survivor), write-locked with its survivor.

    Locked before it is read, so a merge moving it either committed before (and this reads
    the survivor) or waits until this transaction ends.
    """
    return await read_locked(
        tx,
        [entity_id],
        lock,
        lambda: get(tx, entity_id, as_of=None),
        lambda found: {found.id} if found else set(),
        None,
    )


async def read_locked(
    tx: AsyncManagedTransaction,
    ids: list[str],
    lock_ids: Callable[[AsyncManagedTransaction, list[str]], Awaitable[None]],
    read: Callable[[], Awaitable[T]],
    survivors: Callable[[T], set[str]],
    nothing: T,
) -> T:
    """``read()`` once ``ids`` are write-locked, and again while it finds survivors of theirs
    not locked yet (locking them first; MAX_MERGE_HOPS reads at most); ``nothing`` when there
    is nothing to lock. Entities and propositions are read this way before a write that
    depends on them: a merge moving one either committed before (and the read sees its
    survivor) or waits until this transaction ends."""
    locked: set[str] = set()
    wanted = set(ids)
    found = nothing
    for _ in range(MAX_MERGE_HOPS):
        if wanted <= locked:
            break
        await lock_ids(tx, sorted(wanted - locked))
        locked |= wanted
        found = await read()
        wanted = set(ids) | survivors(found)
    return found


async def require_locked(tx: AsyncManagedTransaction, entity_id: str) -> Entity:
    """``get_locked``, refused when there is no such entity."""
    found = await get_locked(tx, entity_id)
    if found is None:
        raise EntityNotFound(entity_id)
    return found


# What the workshop's map shows of each entity beyond the picture's reference to it, in one
# record (a record per entity, each a whole node, cost the page more than its query).
ENTITY_NOTES = """
UNWIND $ids AS wanted
MATCH (e:Entity {id: wanted})
RETURN collect(e {.id, .alt_kind, .description}) AS notes
"""


class EntityNotes(TypedDict):
    id: str
    alt_kind: str | None
    description: str | None


async def notes_of(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, EntityNotes]:
    """The alternative kind and description of the entities with these ids (as stored: a
    merged-away id finds the entity it was, not its survivor)."""
    found: list[EntityNotes] = await fetch_collected(tx, ENTITY_NOTES, "notes", ids=ids)
    return {notes["id"]: notes for notes in found}


@one_statement
async def get_many(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Entity]:
    """Entities by id (merged ids resolve to their survivor), for DataLoaders."""
    rows = await fetch_all(tx, GET_ENTITIES, ids=ids)
    return {row["wanted"]: records.entity(row["entity"]) for row in rows}


async def list_page(
    tx: AsyncManagedTransaction,
    *,
    kind: EntityKind | None,
    search: str | None,
    as_of: datetime,
    include_retired: bool,
    after: list[Any] | None,
    limit: int,
    order: str = "OLDEST_FIRST",
) -> tuple[list[Entity], int]:
    """A page of entities in ``order`` (an ENTITY_ORDERS name), after the cursor's sort key
    (a time and an id; the lower-cased name and an id for NAME), and how many match."""
    needle = search.strip().lower() if search and search.strip() else None
    filters = {
        "kind": kind.value if kind else None,
        "search": needle,
        "as_of": as_of,
        "include_retired": include_retired,
    }
    by_name = order == "NAME"
    after_created = datetime.fromisoformat(after[0]) if after and not by_name else None
    rows = await fetch_all(
        tx,
        ENTITY_ORDERS[order],
        **filters,
        after_created=after_created,
        after_name=after[0] if after and by_name else None,
        after_id=after[1] if after else None,
        limit=limit,
    )
    total = await fetch_one(tx, COUNT_ENTITIES, **filters)
    return [records.entity(r["entity"]) for r in rows], int(total["total"] if total else 0)


async def update(
    tx: AsyncManagedTransaction, actor: Actor, entity_id: str, data: EntityUpdate, now: datetime
) -> Entity:
    current = await require(tx, entity_id)
    if current.retired_at is not None:
        raise EntityRetired(entity_id, cannot_be="changed")
    try:
        status = check_status(current.kind, data.status) if data.status is not None else None
    except ValueError as error:
        raise FieldNotForKind(current, "status", str(error)) from error
    if data.alt_kind is not None:
        if current.kind is not EntityKind.ALTERNATIVE:
            raise FieldNotForKind(current, "altKind", "altKind is only for an ALTERNATIVE")
        if data.alt_kind not in [k.value for k in AlternativeKind]:
            allowed = ", ".join(k.value for k in AlternativeKind)
            raise FieldNotForKind(current, "altKind", f"altKind must be one of {allowed}")
    if data.channel is not None and current.kind is not EntityKind.CLAIM:
        raise FieldNotForKind(current, "channel", "channel is only for a CLAIM")
    await tx.run(
        UPDATE_ENTITY,
        id=current.id,
        name=data.name.strip() if data.name else None,
        description=data.description,
        status=status,
        alt_kind=data.alt_kind,
        channel=data.channel,
        now=now,
        actor_id=actor.member_id,
    )
    await audit.record(
        tx, actor, "updateEntity", [current.id], now, change=model_version.entities([current.id])
    )
    return await require(tx, current.id)


def _may_retire(actor: Actor, entity: Entity, action: str) -> None:
    """A segment, which every account and proposition in it hangs on, is retired or brought
    back only by facilitators and admins; any other entity by any writer."""
    if entity.kind is EntityKind.SEGMENT and actor.role not in (Role.FACILITATOR, Role.ADMIN):
        raise NotAFacilitator(actor.member_id, f"{action} a segment")


async def retire(
    tx: AsyncManagedTransaction, actor: Actor, entity_id: str, reason: str, now: datetime
) -> Entity:
    if not reason.strip():
        raise ReasonRequired("retire an entity")
    current = await require(tx, entity_id)
    _may_retire(actor, current, "retire")
    await tx.run(RETIRE_ENTITY, id=current.id, now=now, reason=reason, actor_id=actor.member_id)
    await audit.record(
        tx,
        actor,
        "retireEntity",
        [current.id],
        now,
        reason[:200],
        change=model_version.entities([current.id]),
    )
    return await require(tx, current.id)


async def unretire(
    tx: AsyncManagedTransaction, actor: Actor, entity_id: str, reason: str, now: datetime
) -> Entity:
    """Bring a retired entity back, with a reason; the audit entry keeps what the retirement
    was (when, by whom, why). An entity that is not retired is answered as it is."""
    if not reason.strip():
        raise ReasonRequired("unretire an entity")
    current = await require(tx, entity_id)
    _may_retire(actor, current, "unretire")
    if current.retired_at is None:
        return current
    row = await fetch_one(tx, RETIREMENT, id=current.id)
    await tx.run(UNRETIRE_ENTITY, id=current.id)
    was = f"retired {current.retired_at.isoformat()} by {row['by'] if row else None}"
    detail = f"{reason[:200]} (was {was}: {(current.retired_reason or '')[:200]})"
    await audit.record(
        tx,
        actor,
        "unretireEntity",
        [current.id],
        now,
        detail,
        change=model_version.entities([current.id]),
    )
    return await require(tx, current.id)
