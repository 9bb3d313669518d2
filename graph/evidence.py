"""Evidence: observations from the outside world that support or contradict propositions.

A batch is written with one ``UNWIND`` per shape (keyed and unkeyed items). An item with an
``idempotency_key`` is written once, whatever the number of retries: ``MERGE`` on the key is
backed by a uniqueness constraint, and only the transaction that created the node links it.
Evidence is never deleted: it is retracted (kept, excluded from support from then on) or,
for personal data, redacted (text removed, weight, stance and audit kept).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, propositions
from graph.kit import records
from graph.kit.connection import fetch_all, fetch_collected, fetch_one
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import Actor, Evidence, EvidenceCreate
from schema.vocabulary import Role

EVIDENCE_PROJECTION = """
ev {.id, .source_type, .summary, .source_ref, .observed_at, .recorded_at, .recorded_by,
    .function, .account_id, .import_id, .retracted_at, .retract_reason, .redacted_at,
    bears: [(ev)-[b:BEARS_ON]->(p:Proposition) |
            {proposition_id: p.id, stance: b.stance, strength: b.strength,
             magnitude: b.magnitude}]}
"""

# Links a freshly created item to its propositions and account (both checked beforehand).
# Accounts are found through the Entity.id constraint's index: `(:Account {id})` would scan
# every account for every row.
_LINK = """
CALL {
  WITH ev, row, created
  WITH ev, row WHERE created
  UNWIND row.bears AS bearing
  MATCH (p:Proposition {id: bearing.proposition_id})
  CREATE (ev)-[:BEARS_ON {stance: bearing.stance, strength: bearing.strength,
                          magnitude: bearing.magnitude}]->(p)
}
CALL {
  WITH ev, row, created
  WITH ev, row WHERE created AND row.props.account_id IS NOT NULL
  MATCH (a:Entity {id: row.props.account_id}) WHERE a:Account
  CREATE (ev)-[:FROM_ACCOUNT]->(a)
}
RETURN collect([row.index, ev.id, created]) AS written
"""

# Rows carry their two times as ISO text, made DATETIME values here: the driver spends
# ~0.1-0.2 ms packing each Python datetime, more than the database's own work on a big
# batch (benchmark a, docs/benchmarks.md). Nobody ever sees the text.
CREATE_EVIDENCE = (
    """
UNWIND $rows AS row
CREATE (ev:Evidence)
SET ev = row.props, ev.observed_at = datetime(row.observed_at),
    ev.recorded_at = datetime(row.recorded_at)
WITH ev, row, true AS created
"""
    + _LINK
)

MERGE_EVIDENCE = (
    """
UNWIND $rows AS row
MERGE (ev:Evidence {idempotency_key: row.props.idempotency_key})
ON CREATE SET ev += row.props, ev.observed_at = datetime(row.observed_at),
              ev.recorded_at = datetime(row.recorded_at), ev.creation_marker = $marker
WITH ev, row, coalesce(ev.creation_marker = $marker, false) AS created
REMOVE ev.creation_marker
WITH ev, row, created
"""
    + _LINK
)

ACCOUNTS_EXIST = """
UNWIND $ids AS wanted
OPTIONAL MATCH (a:Entity {id: wanted}) WHERE a:Account
RETURN wanted, a IS NOT NULL AS found
"""

# Many items by id in one collected record, times as epoch parts (``records.from_epoch``):
# read back after a 5,000-item addEvidence, a record and four hydrated DateTimes per item
# cost three times the write itself (benchmark a, docs/benchmarks.md).
GET_EVIDENCE = """
UNWIND $ids AS wanted
MATCH (ev:Evidence {id: wanted})
RETURN collect(ev {
  .id, .source_type, .summary, .source_ref, .recorded_by, .function, .account_id,
  .import_id, .retract_reason,
  observed_at: [ev.observed_at.epochSeconds, ev.observed_at.nanosecond,
                ev.observed_at.offsetSeconds],
  recorded_at: [ev.recorded_at.epochSeconds, ev.recorded_at.nanosecond,
                ev.recorded_at.offsetSeconds],
  retracted_at: CASE WHEN ev.retracted_at IS NULL THEN null
                ELSE [ev.retracted_at.epochSeconds, ev.retracted_at.nanosecond,
                      ev.retracted_at.offsetSeconds] END,
  redacted_at: CASE WHEN ev.redacted_at IS NULL THEN null
               ELSE [ev.redacted_at.epochSeconds, ev.redacted_at.nanosecond,
                     ev.redacted_at.offsetSeconds] END,
  bears: [(ev)-[b:BEARS_ON]->(p:Proposition) |
          {proposition_id: p.id, stance: b.stance, strength: b.strength,
           magnitude: b.magnitude}]
}) AS rows
"""

LIST_FOR_PROPOSITION = (
    """
MATCH (ev:Evidence)-[:BEARS_ON]->(:Proposition {id: $proposition_id})
WHERE ev.recorded_at <= $as_of
  AND ($include_retracted OR ev.retracted_at IS NULL OR ev.retracted_at > $as_of)
  AND (ev.import_id IS NULL
       OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= $as_of })
RETURN """
    + EVIDENCE_PROJECTION
    + """ AS evidence
ORDER BY ev.observed_at DESC, ev.id
LIMIT $limit
"""
)

# Evidence that counts as of $as_of (retracted items too when $include_retracted).
_VISIBLE = """
WHERE ev.recorded_at <= $as_of
  AND ($include_retracted OR ev.retracted_at IS NULL OR ev.retracted_at > $as_of)
  AND (ev.import_id IS NULL
       OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= $as_of })
  AND ($account_id IS NULL OR ev.account_id = $account_id)
  AND ($source_type IS NULL OR ev.source_type = $source_type)
"""

# Starts from the proposition when one is named, so a listing never scans all evidence.
_CANDIDATES = """
CALL {
  MATCH (ev:Evidence)-[:BEARS_ON]->(:Proposition {id: $proposition_id}) RETURN ev
  UNION
  MATCH (ev:Evidence) WHERE $proposition_id IS NULL RETURN ev
}
WITH ev
"""

# Newest observation first; the cursor is the (observed_at, id) of the previous page's end.
# Times compare as instants (epoch seconds, nanoseconds): Cypher orders two datetimes of the
# same instant in different zone forms ('Z' and '[UTC]') by zone, and never calls them equal.
LIST_EVIDENCE_PAGE = (
    _CANDIDATES
    + _VISIBLE
    + """
  AND ($after_observed IS NULL
       OR [ev.observed_at.epochSeconds, ev.observed_at.nanosecond, ev.id]
          < [$after_observed.epochSeconds, $after_observed.nanosecond, $after_id])
RETURN """
    + EVIDENCE_PROJECTION
    + """ AS evidence
ORDER BY ev.observed_at.epochSeconds DESC, ev.observed_at.nanosecond DESC, ev.id DESC
LIMIT $limit
"""
)

COUNT_EVIDENCE = _CANDIDATES + _VISIBLE + "RETURN count(ev) AS total"

# One page of evidence per requested proposition, for DataLoaders: each request row carries
# its own as-of time, retracted flag, cursor and page size.
EVIDENCE_PAGES_FOR_PROPOSITIONS = (
    """
UNWIND $requests AS r
CALL {
  WITH r
  OPTIONAL MATCH (ev:Evidence)-[:BEARS_ON]->(:Proposition {id: r.proposition_id})
  WHERE ev.recorded_at <= r.as_of
    AND (r.include_retracted OR ev.retracted_at IS NULL OR ev.retracted_at > r.as_of)
    AND (ev.import_id IS NULL
         OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= r.as_of })
  WITH r, ev
  ORDER BY ev.observed_at.epochSeconds DESC, ev.observed_at.nanosecond DESC, ev.id DESC
  WITH r, collect(ev) AS items
  RETURN size(items) AS total,
         [x IN items WHERE r.after_observed IS NULL
            OR [x.observed_at.epochSeconds, x.observed_at.nanosecond, x.id]
               < [r.after_observed.epochSeconds, r.after_observed.nanosecond, r.after_id]]
         [..r.limit] AS page
}
RETURN r.index AS index, total, [ev IN page | """
    + EVIDENCE_PROJECTION
    + """] AS evidence
"""
)

RETRACT = """
MATCH (ev:Evidence {id: $id})
SET ev.retracted_at = coalesce(ev.retracted_at, $now),
    ev.retract_reason = coalesce(ev.retract_reason, $reason),
    ev.retracted_by = coalesce(ev.retracted_by, $actor_id)
"""

REDACT = """
MATCH (ev:Evidence {id: $id})
SET ev.summary = null, ev.source_ref = null,
    ev.redacted_at = coalesce(ev.redacted_at, $now),
    ev.redact_reason = coalesce(ev.redact_reason, $reason),
    ev.redacted_by = coalesce(ev.redacted_by, $actor_id)
"""


async def resolve_bearings(
    tx: AsyncManagedTransaction, items: list[EvidenceCreate]
) -> dict[str, str]:
    """Map every proposition id the items name to its live id (merged ids to survivors)."""
    wanted = sorted({b.proposition_id for item in items for b in item.bears})
    # Locked before read, so a merge of these propositions cannot strand the new links.
    found = await propositions.live_ids_locked(tx, wanted)
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise NotFound("proposition", missing[0])
    retired = [live.id for live in found.values() if live.retired]
    if retired:
        raise BadInput(f"proposition {retired[0]!r} is retired; evidence cannot bear on it")
    return {pid: found[pid].id for pid in wanted}


async def check_accounts(tx: AsyncManagedTransaction, account_ids: list[str]) -> None:
    wanted = sorted(set(account_ids))
    if not wanted:
        return
    rows = await fetch_all(tx, ACCOUNTS_EXIST, ids=wanted)
    missing = [r["wanted"] for r in rows if not r["found"]]
    if missing:
        raise NotFound("account", missing[0])


def prepare_row(
    index: int,
    item: EvidenceCreate,
    live_ids: dict[str, str],
    actor: Actor,
    now: datetime,
    import_id: str | None,
    recorded_at: datetime | None = None,
    evidence_id: str | None = None,
) -> dict[str, Any]:
    recorded = recorded_at or now
    return {
        "index": index,
        "observed_at": (item.observed_at or recorded).isoformat(),
        "recorded_at": recorded.isoformat(),
        "props": {
            "id": evidence_id or f"ev-{uuid.uuid4().hex[:16]}",
            "source_type": item.source_type,
            "summary": item.summary,
            "source_ref": item.source_ref,
            "recorded_by": actor.member_id,
            "function": actor.function,
            "account_id": item.account_id,
            "idempotency_key": item.idempotency_key,
            "import_id": import_id,
        },
        "bears": [
            {
                "proposition_id": live_ids[b.proposition_id],
                "stance": b.stance.value,
                "strength": b.strength,
                "magnitude": b.magnitude,
            }
            for b in item.bears
        ],
    }


async def add(
    tx: AsyncManagedTransaction,
    actor: Actor,
    items: list[EvidenceCreate],
    now: datetime,
    *,
    import_id: str | None = None,
) -> list[tuple[str, bool]]:
    """Write a batch; return (id, created) per item, in order. Validates before writing."""
    if not actor.can_write:
        raise Forbidden("viewers may read but not write")
    if not items:
        return []
    keys = [i.idempotency_key for i in items if i.idempotency_key]
    if len(keys) != len(set(keys)):
        raise BadInput("two items in one batch share an idempotencyKey")
    live_ids = await resolve_bearings(tx, items)
    await check_accounts(tx, [i.account_id for i in items if i.account_id])
    rows = [prepare_row(n, item, live_ids, actor, now, import_id) for n, item in enumerate(items)]
    return await write_rows(tx, actor, rows, now)


async def write_rows(
    tx: AsyncManagedTransaction, actor: Actor, rows: list[dict[str, Any]], now: datetime
) -> list[tuple[str, bool]]:
    """Write prepared rows (see ``prepare_row``); callers have validated ids and accounts."""
    keyed = [r for r in rows if r["props"]["idempotency_key"]]
    unkeyed = [r for r in rows if not r["props"]["idempotency_key"]]
    results: dict[int, tuple[str, bool]] = {}
    # One collected record per query: a record per row cost more than writing the row.
    if keyed:
        written = await fetch_collected(
            tx, MERGE_EVIDENCE, "written", rows=keyed, marker=uuid.uuid4().hex
        )
        for index, evidence_id, created in written:
            results[index] = (evidence_id, bool(created))
    if unkeyed:
        for index, evidence_id, _ in await fetch_collected(
            tx, CREATE_EVIDENCE, "written", rows=unkeyed
        ):
            results[index] = (evidence_id, True)
    created = [results[r["index"]][0] for r in rows if results[r["index"]][1]]
    if created:
        await audit.record(tx, actor, "addEvidence", created[:100], now, f"{len(created)} item(s)")
    return [results[r["index"]] for r in rows]


async def get_many(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Evidence]:
    rows = await fetch_collected(tx, GET_EVIDENCE, "rows", ids=ids)
    return {row["id"]: records.evidence_at_epoch(row) for row in rows}


async def get(tx: AsyncManagedTransaction, evidence_id: str) -> Evidence | None:
    return (await get_many(tx, [evidence_id])).get(evidence_id)


async def for_proposition(
    tx: AsyncManagedTransaction,
    proposition_id: str,
    as_of: datetime,
    *,
    include_retracted: bool = False,
    limit: int = 100,
) -> list[Evidence]:
    rows = await fetch_all(
        tx,
        LIST_FOR_PROPOSITION,
        proposition_id=proposition_id,
        as_of=as_of,
        include_retracted=include_retracted,
        limit=limit,
    )
    return [records.evidence(r["evidence"]) for r in rows]


async def list_page(
    tx: AsyncManagedTransaction,
    *,
    proposition_id: str | None,
    account_id: str | None,
    source_type: str | None,
    as_of: datetime,
    include_retracted: bool,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[list[Evidence], int]:
    """A page of evidence, newest observation first, and how many match over all pages."""
    filters = {
        "proposition_id": proposition_id,
        "account_id": account_id,
        "source_type": source_type,
        "as_of": as_of,
        "include_retracted": include_retracted,
    }
    rows = await fetch_all(
        tx,
        LIST_EVIDENCE_PAGE,
        **filters,
        after_observed=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit,
    )
    total = await fetch_one(tx, COUNT_EVIDENCE, **filters)
    return [records.evidence(r["evidence"]) for r in rows], int(total["total"] if total else 0)


async def pages_for_propositions(
    tx: AsyncManagedTransaction, requests: list[dict[str, Any]]
) -> list[tuple[list[Evidence], int]]:
    """One page per request, in order, in one query.

    Each request names ``proposition_id``, ``as_of``, ``include_retracted``, ``after`` (an
    ``(observed_at, id)`` pair or None) and ``limit``.
    """
    rows = await fetch_all(
        tx,
        EVIDENCE_PAGES_FOR_PROPOSITIONS,
        requests=[
            {
                "index": n,
                "proposition_id": r["proposition_id"],
                "as_of": r["as_of"],
                "include_retracted": r["include_retracted"],
                "after_observed": r["after"][0] if r["after"] else None,
                "after_id": r["after"][1] if r["after"] else None,
                "limit": r["limit"],
            }
            for n, r in enumerate(requests)
        ],
    )
    by_index = {
        int(row["index"]): ([records.evidence(e) for e in row["evidence"]], int(row["total"]))
        for row in rows
    }
    return [by_index.get(n, ([], 0)) for n in range(len(requests))]


async def retract(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str, now: datetime
) -> Evidence:
    """Exclude an item from support from now on; it stays, with the reason."""
    item = await _editable(tx, actor, evidence_id, reason)
    await tx.run(RETRACT, id=item.id, now=now, reason=reason, actor_id=actor.member_id)
    await audit.record(tx, actor, "retractEvidence", [item.id], now, reason[:200])
    retracted = await get(tx, item.id)
    assert retracted is not None
    return retracted


async def redact(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str, now: datetime
) -> Evidence:
    """Admins remove an item's text (personal data); its weight, stance and audit stay."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin may redact evidence")
    item = await _editable(tx, actor, evidence_id, reason)
    await tx.run(REDACT, id=item.id, now=now, reason=reason, actor_id=actor.member_id)
    await audit.record(tx, actor, "redactEvidence", [item.id], now, reason[:200])
    redacted = await get(tx, item.id)
    assert redacted is not None
    return redacted


async def _editable(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str
) -> Evidence:
    if not actor.can_write:
        raise Forbidden("viewers may read but not write")
    if not reason.strip():
        raise BadInput("a reason is needed")
    item = await get(tx, evidence_id)
    if item is None:
        raise NotFound("evidence", evidence_id)
    if not actor.may_act_for_any_function and item.function != actor.function:
        raise Forbidden(
            f"this evidence was recorded by {item.function}; only its own function, a "
            "facilitator or an admin may change it"
        )
    return item


async def count(tx: AsyncManagedTransaction) -> int:
    row = await fetch_one(tx, "MATCH (ev:Evidence) RETURN count(ev) AS n")
    return int(row["n"]) if row else 0
