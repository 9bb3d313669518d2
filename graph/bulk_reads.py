"""Bulk reads: one Cypher query shapes a whole nested page as JSON-ready maps.

A page of propositions with their endpoints, each function's current belief and the newest
evidence (with its bearings) comes back from a single query whose map projections already
have the keys and nesting of the GraphQL ``propositions`` listing; times are ISO 8601 strings
made by Cypher. Python does no per-object work, so the GraphQL layer can hand the result to
the client as it is (``api/graphql/bulk.py``) — docs/design.md §6, "know where time goes".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import propositions
from graph.evidence.reading import COUNTED_AS_OF
from graph.kit.connection import fetch_all
from graph.kit.cursors import encode_cursor

MAX_PROPOSITIONS = 1000
MAX_EVIDENCE_PER_PROPOSITION = 100

# The listing's order and cursor are those of ``propositions.LIST_PROPOSITIONS``;
# the count covers every page. An empty page still returns one row, carrying the count.
PROPOSITION_GRAPH = (
    propositions.LISTED
    + """WITH p, subject, object ORDER BY p.created_at, p.id
WITH collect({p: p, subject: subject, object: object}) AS listed
WITH size(listed) AS total,
     [r IN listed WHERE $after_id IS NULL
        OR [r.p.created_at, r.p.id] > [$after_created, $after_id]][..$limit + 1] AS page
UNWIND CASE WHEN size(page) = 0 THEN [null] ELSE page END AS r
WITH total, r.p AS p, r.subject AS subject, r.object AS object
CALL {
  WITH p
  OPTIONAL MATCH (b:Belief)-[:ON]->(p)
  WHERE b.stated_at <= $as_of
  WITH b ORDER BY b.seq DESC
  WITH b.function AS function, head(collect(b)) AS b
  WHERE b IS NOT NULL AND NOT b.withdrawn
  WITH b ORDER BY b.function
  RETURN collect(b {.function, .p, .magnitude,
                    statedAt: toString(datetime({epochSeconds: b.stated_at.epochSeconds,
                                                 nanosecond: b.stated_at.nanosecond}))})
         AS beliefs
}
CALL {
  WITH p
  OPTIONAL MATCH (ev:Evidence)-[:BEARS_ON]->(p)
  WHERE """
    + COUNTED_AS_OF
    + """  WITH ev
  ORDER BY ev.observed_at.epochSeconds DESC, ev.observed_at.nanosecond DESC, ev.id DESC
  WITH collect(ev) AS items
  RETURN size(items) AS evidence_total, items[..$evidence_limit] AS newest
}
RETURN total, p.created_at AS created_at,
       CASE WHEN p IS NULL THEN null ELSE p {
         .id, .relation,
         createdAt: toString(datetime({epochSeconds: p.created_at.epochSeconds,
                                       nanosecond: p.created_at.nanosecond})),
         subject: subject {.id, .kind, .name},
         object: object {.id, .kind, .name},
         beliefs: beliefs,
         evidence: {
           totalCount: evidence_total,
           nodes: [ev IN newest | ev {
             .id, sourceType: ev.source_type, .summary,
             observedAt: toString(datetime({epochSeconds: ev.observed_at.epochSeconds,
                                            nanosecond: ev.observed_at.nanosecond})),
             bears: [(ev)-[bear:BEARS_ON]->(q:Proposition) |
                     {propositionId: q.id, stance: bear.stance, strength: bear.strength,
                      magnitude: bear.magnitude}]
           }]
         }
       } END AS node
"""
)


def proposition_page(rows: list[dict[str, Any]], *, as_of: datetime, limit: int) -> dict[str, Any]:
    """The page as the GraphQL listing shapes it: totalCount, pageInfo and nodes."""
    total = int(rows[0]["total"]) if rows else 0
    listed = [r for r in rows if r["node"] is not None]
    page = listed[:limit]
    end_cursor = None
    if page:
        last = page[-1]
        end_cursor = encode_cursor(
            as_of, [last["created_at"].to_native().isoformat(), last["node"]["id"]]
        )
    return {
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": len(listed) > limit,
            "endCursor": end_cursor,
            "asOf": as_of.isoformat(),
        },
        "nodes": [r["node"] for r in page],
    }


async def proposition_graph(
    tx: AsyncManagedTransaction,
    *,
    segment_id: str | None,
    relation: str | None,
    as_of: datetime,
    after: tuple[datetime, str] | None,
    limit: int,
    evidence_limit: int,
) -> dict[str, Any]:
    """One page of propositions with endpoints, current beliefs and newest evidence."""
    rows = await fetch_all(
        tx,
        PROPOSITION_GRAPH,
        segment_id=segment_id,
        relation=relation,
        as_of=as_of,
        after_created=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit,
        evidence_limit=evidence_limit,
    )
    return proposition_page(rows, as_of=as_of, limit=limit)
