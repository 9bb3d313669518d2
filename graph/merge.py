"""Merging two entities that are the same thing (docs/design.md §2 item 8).

The merged entity's propositions move to the survivor. A proposition is keyed by its
triple, so each one is re-homed under the id of its new triple: when the survivor already
has that triple the two *fold* into one (evidence links and belief histories united),
otherwise the new proposition is created with the old one's creation time and author.
Every old proposition and the merged entity keep their nodes and get a ``MERGED_INTO`` link,
so old ids keep resolving. Belief series are renumbered so each (function, proposition)
history stays strictly ordered: the two histories are interleaved by ``stated_at`` (the
survivor's first on a tie), each keeping its own order, so the current belief of a function
is its latest statement on either.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, entities, model_version, propositions
from graph.beliefs import LOCK_SERIES, series_key
from graph.kit.connection import fetch_all, fetch_one
from graph.kit.records import to_datetime
from graph.kit.vocabulary import LINK_PROPOSITION, UNLINK_DIRECT_EDGE
from schema.divergence import MergeResult
from schema.entities import DifferentKinds, EntityRetired, SameEntity
from schema.members import NotAFacilitator
from schema.models import Actor, Entity
from schema.vocabulary import EntityKind, Relation, Role

PROPOSITIONS_OF = (
    """
MATCH (p:Proposition)-[end:SUBJECT|OBJECT]->(:Entity {id: $id})
WHERE NOT (p)-[:MERGED_INTO]->(:Proposition)
RETURN """
    + propositions.PROPOSITION_PROJECTION
    + """ AS proposition, type(end) AS end
ORDER BY p.id
"""
)

EXISTING = """
UNWIND $ids AS wanted
MATCH (p:Proposition {id: wanted})
RETURN p {.id, .created_at, .created_by, .retired_at} AS proposition
"""

# A re-homed proposition whose triple the survivor did not have yet.
CREATE_REHOMED = """
UNWIND $rows AS row
CREATE (p:Proposition {id: row.id, relation: row.relation, subject_id: row.subject_id,
                       object_id: row.object_id, created_at: row.created_at,
                       created_by: row.created_by, retired_at: row.retired_at,
                       retired_reason: row.retired_reason})
"""

# A fold: the survivor exists since the earlier of the two, and lives if either lived.
FOLD = """
UNWIND $rows AS row
MATCH (p:Proposition {id: row.id})
SET p.created_at = row.created_at, p.created_by = row.created_by
FOREACH (_ IN CASE WHEN row.revive THEN [1] ELSE [] END |
  SET p.retired_at = null, p.retired_reason = null, p.retired_by = null)
"""

MOVE_EVIDENCE = """
UNWIND $pairs AS pair
MATCH (ev:Evidence)-[link:BEARS_ON]->(:Proposition {id: pair.old})
MATCH (target:Proposition {id: pair.new})
WITH ev, link, target, EXISTS { (ev)-[:BEARS_ON]->(target) } AS already
CALL {
  WITH ev, link, target, already
  WITH ev, link, target WHERE NOT already
  CREATE (ev)-[moved:BEARS_ON]->(target)
  SET moved = properties(link)
}
DELETE link
RETURN sum(CASE WHEN already THEN 0 ELSE 1 END) AS moved,
       sum(CASE WHEN already THEN 1 ELSE 0 END) AS united
"""

SERIES_OF = """
UNWIND $pairs AS pair
MATCH (b:Belief)-[:ON]->(p:Proposition)
WHERE p.id IN [pair.old, pair.new]
RETURN pair.new AS target, p.id AS source, b.id AS id, b.function AS function,
       b.seq AS seq, b.stated_at AS stated_at
"""

RENUMBER_BELIEFS = """
UNWIND $rows AS row
MATCH (b:Belief {id: row.id})-[on:ON]->(current:Proposition)
MATCH (target:Proposition {id: row.target})
SET b.seq = row.seq, b.proposition_id = row.target
FOREACH (_ IN CASE WHEN current.id = row.target THEN [] ELSE [1] END |
  DELETE on
  CREATE (b)-[:ON]->(target))
"""

SET_SERIES = """
UNWIND $rows AS row
MERGE (s:BeliefSeries {key: row.key})
ON CREATE SET s.function = row.function, s.proposition_id = row.proposition_id
SET s.seq = row.seq
REMOVE s.locked_by
"""

DROP_SERIES = """
UNWIND $keys AS key
MATCH (s:BeliefSeries {key: key})
DELETE s
"""

MARK_PROPOSITIONS_MERGED = """
UNWIND $pairs AS pair
MATCH (old:Proposition {id: pair.old}), (new:Proposition {id: pair.new})
SET old.merged_into = new.id, old.merged_at = $now, old.merged_by = $actor_id
MERGE (old)-[:MERGED_INTO]->(new)
"""

MARK_ENTITY_MERGED = """
MATCH (gone:Entity {id: $merge_id}), (keep:Entity {id: $keep_id})
SET gone.merged_into = keep.id, gone.merged_at = $now, gone.merged_by = $actor_id
MERGE (gone)-[:MERGED_INTO]->(keep)
"""

# An account's evidence now comes from the survivor, so per-account noisy-OR treats the
# two as the one customer they are.
MOVE_ACCOUNT_EVIDENCE = """
MATCH (ev:Evidence)-[link:FROM_ACCOUNT]->(:Account {id: $merge_id})
MATCH (keep:Account {id: $keep_id})
SET ev.account_id = keep.id
MERGE (ev)-[:FROM_ACCOUNT]->(keep)
DELETE link
"""

# Whether the node of this id was itself merged into another (not resolved to its survivor).
WAS_MERGED = "MATCH (e:Entity {id: $id}) RETURN e.merged_into IS NOT NULL AS merged"

MOVE_SEGMENT_ACCOUNTS = """
MATCH (a:Account)-[link:IN_SEGMENT]->(:Segment {id: $merge_id})
MATCH (keep:Segment {id: $keep_id})
MERGE (a)-[:IN_SEGMENT]->(keep)
DELETE link
"""


def _may_merge(actor: Actor) -> None:
    if actor.role not in (Role.FACILITATOR, Role.ADMIN):
        raise NotAFacilitator(actor.member_id, "merge entities")


async def _pair(
    tx: AsyncManagedTransaction, keep_id: str, merge_id: str
) -> tuple[Entity, Entity | None]:
    """The survivor and the entity to merge into it; None for the latter when that merge
    has already happened."""
    # Locked before read: a second merge of either entity, or a proposition being created
    # on one, waits for this merge (or this one waits for it and reads its outcome).
    keep = await entities.require_locked(tx, keep_id)
    gone = await entities.require_locked(tx, merge_id)
    if keep.id == gone.id:
        # A retry of a merge that committed (its answer lost to a timeout or an outage):
        # merge_id was merged, into what keep_id is now. Anything else names one entity twice.
        row = await fetch_one(tx, WAS_MERGED, id=merge_id)
        if keep_id != merge_id and row is not None and row["merged"]:
            return keep, None
        raise SameEntity(keep_id, merge_id, keep.id)
    if keep.kind is not gone.kind:
        raise DifferentKinds(keep, gone)
    for entity in (keep, gone):
        if entity.retired_at is not None:
            raise EntityRetired(entity.id, cannot_be="merged")
    return keep, gone


def _interleave(
    survivor: list[dict[str, Any]], moved: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Both histories in one order: by stated_at, each keeping its own sequence order."""
    first = sorted(survivor, key=lambda b: b["seq"])
    second = sorted(moved, key=lambda b: b["seq"])
    merged: list[dict[str, Any]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        if second[j]["stated_at"] < first[i]["stated_at"]:
            merged.append(second[j])
            j += 1
        else:
            merged.append(first[i])
            i += 1
    return merged + first[i:] + second[j:]


async def _move_beliefs(tx: AsyncManagedTransaction, pairs: list[dict[str, str]]) -> int:
    """Move the old propositions' beliefs to the new ones, renumbering each series."""
    rows = await fetch_all(tx, SERIES_OF, pairs=pairs)
    for row in rows:
        row["stated_at"] = to_datetime(row["stated_at"])
    by_series: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"survivor": [], "moved": []}
    )
    for row in rows:
        side = "survivor" if row["source"] == row["target"] else "moved"
        by_series[(row["target"], row["function"])][side].append(row)
    old_of = {pair["new"]: pair["old"] for pair in pairs}
    # Lock every series touched, the survivor's and the merged one's, as statements do.
    for target, function in sorted(by_series):
        for pid in (target, old_of[target]):
            await tx.run(
                LOCK_SERIES,
                series_key=series_key(function, pid),
                function=function,
                proposition_id=pid,
                marker="merge",
            )
    renumbered: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    for (target, function), sides in sorted(by_series.items()):
        ordered = _interleave(sides["survivor"], sides["moved"])
        for seq, row in enumerate(ordered, start=1):
            renumbered.append({"id": row["id"], "target": target, "seq": seq})
        series.append(
            {
                "key": series_key(function, target),
                "function": function,
                "proposition_id": target,
                "seq": len(ordered),
            }
        )
    if renumbered:
        await tx.run(RENUMBER_BELIEFS, rows=renumbered)
        await tx.run(SET_SERIES, rows=series)
    stale = sorted({series_key(function, old_of[target]) for target, function in by_series})
    if stale:
        await tx.run(DROP_SERIES, keys=stale)
    return sum(len(sides["moved"]) for sides in by_series.values())


async def merge_entities(
    tx: AsyncManagedTransaction, actor: Actor, keep_id: str, merge_id: str, now: datetime
) -> tuple[Entity, MergeResult]:
    """Merge ``merge_id`` into ``keep_id``; return the survivor and what moved.

    Idempotent: when ``merge_id`` was already merged into the survivor of ``keep_id`` (a
    client retrying a merge whose answer it never got), the survivor is returned with
    nothing moved, and nothing is written or audited again.
    """
    _may_merge(actor)
    keep, gone = await _pair(tx, keep_id, merge_id)
    if gone is None:
        return keep, MergeResult(
            keep_id=keep.id,
            merged_id=merge_id,
            moved_propositions=(),
            folded_propositions=(),
            evidence_links_moved=0,
            evidence_links_united=0,
            beliefs_moved=0,
        )

    rows = await fetch_all(tx, PROPOSITIONS_OF, id=gone.id)
    plans: list[dict[str, Any]] = []
    for row in rows:
        old = row["proposition"]
        subject_id = keep.id if old["subject_id"] == gone.id else old["subject_id"]
        object_id = keep.id if old["object_id"] == gone.id else old["object_id"]
        relation = Relation(old["relation"])
        plans.append(
            {
                "old": old,
                "relation": relation,
                "subject_id": subject_id,
                "object_id": object_id,
                "new_id": propositions.proposition_id(subject_id, relation, object_id),
            }
        )
    # Every proposition this merge reads or rewrites is write-locked before its evidence and
    # beliefs are read: a statement or evidence in flight on one of them commits first and
    # is moved, or waits and lands on the survivor (propositions.get_many_locked).
    await propositions.lock(tx, [p["old"]["id"] for p in plans] + [p["new_id"] for p in plans])
    existing = {
        r["proposition"]["id"]: r["proposition"]
        for r in await fetch_all(tx, EXISTING, ids=[p["new_id"] for p in plans])
    }

    created_rows, fold_rows = [], []
    moved_pairs: list[tuple[str, str]] = []
    folded_pairs: list[tuple[str, str]] = []
    for plan in plans:
        old = plan["old"]
        survivor = existing.get(plan["new_id"])
        if survivor is None:
            created_rows.append(
                {
                    "id": plan["new_id"],
                    "relation": plan["relation"].value,
                    "subject_id": plan["subject_id"],
                    "object_id": plan["object_id"],
                    "created_at": old["created_at"],
                    "created_by": old["created_by"],
                    "retired_at": old["retired_at"],
                    "retired_reason": old["retired_reason"],
                }
            )
            moved_pairs.append((old["id"], plan["new_id"]))
        else:
            older = old if old["created_at"] < survivor["created_at"] else survivor
            fold_rows.append(
                {
                    "id": plan["new_id"],
                    "created_at": older["created_at"],
                    "created_by": older["created_by"],
                    "revive": survivor["retired_at"] is not None and old["retired_at"] is None,
                }
            )
            folded_pairs.append((old["id"], plan["new_id"]))
    if created_rows:
        await tx.run(CREATE_REHOMED, rows=created_rows)
    if fold_rows:
        await tx.run(FOLD, rows=fold_rows)
    for plan in plans:
        relation = plan["relation"]
        await tx.run(UNLINK_DIRECT_EDGE[relation], id=plan["old"]["id"])
        await tx.run(
            LINK_PROPOSITION[relation],
            id=plan["new_id"],
            subject_id=plan["subject_id"],
            object_id=plan["object_id"],
        )
    # Retired propositions keep no direct edge; re-read after folds (a fold may revive one).
    for row in await fetch_all(tx, EXISTING, ids=[p["new_id"] for p in plans]):
        if row["proposition"]["retired_at"] is not None:
            relation = next(p["relation"] for p in plans if p["new_id"] == row["proposition"]["id"])
            await tx.run(UNLINK_DIRECT_EDGE[relation], id=row["proposition"]["id"])

    pairs = [{"old": p["old"]["id"], "new": p["new_id"]} for p in plans]
    links = await fetch_one(tx, MOVE_EVIDENCE, pairs=pairs) if pairs else None
    beliefs_moved = await _move_beliefs(tx, pairs) if pairs else 0
    if pairs:
        await tx.run(MARK_PROPOSITIONS_MERGED, pairs=pairs, now=now, actor_id=actor.member_id)
    if gone.kind is EntityKind.ACCOUNT:
        await tx.run(MOVE_ACCOUNT_EVIDENCE, merge_id=gone.id, keep_id=keep.id)
    if gone.kind is EntityKind.SEGMENT:
        await tx.run(MOVE_SEGMENT_ACCOUNTS, merge_id=gone.id, keep_id=keep.id)
    await tx.run(
        MARK_ENTITY_MERGED, merge_id=gone.id, keep_id=keep.id, now=now, actor_id=actor.member_id
    )

    result = MergeResult(
        keep_id=keep.id,
        merged_id=gone.id,
        moved_propositions=tuple(moved_pairs),
        folded_propositions=tuple(folded_pairs),
        evidence_links_moved=int(links["moved"]) if links else 0,
        evidence_links_united=int(links["united"]) if links else 0,
        beliefs_moved=beliefs_moved,
    )
    await audit.record(
        tx,
        actor,
        "mergeEntities",
        [keep.id, gone.id] + [old for old, _ in moved_pairs + folded_pairs],
        now,
        f"merged {gone.kind.value} {gone.name!r} into {keep.name!r}: "
        f"{len(moved_pairs)} proposition(s) moved, {len(folded_pairs)} folded, "
        f"{result.evidence_links_moved} evidence link(s) moved, "
        f"{result.evidence_links_united} united, {beliefs_moved} belief(s) moved",
        change=model_version.EVERYTHING,  # moved, folded and hidden: readers start again
    )
    return await entities.require(tx, keep.id), result
