"""Bulk reads in GraphQL: a whole nested page as one JSON value, shaped by one Cypher query.

Executing typed fields costs graphql-core a few microseconds per field: a page of 10,000
nested objects spends far longer in the GraphQL layer than in Neo4j (docs/design.md §6). For big
reads, ``propositionGraph`` returns the page the ``propositions`` listing would give — the
same keys and nesting — as one ``JSON`` value built by a single query
(``graph/bulk_reads.py``), so nothing runs per object between the database and the client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.entities import segment_scope
from api.graphql.pagination import pin_listing, time_position
from api.graphql.vocabulary import Relation
from graph import bulk_reads
from graph.kit.cursors import check_page_size
from schema.propositions import EvidencePerPropositionOutOfRange

DEFAULT_PAGE = 100
DEFAULT_EVIDENCE = 5

SHAPE = """{
  totalCount, pageInfo {hasNextPage, endCursor, asOf},
  nodes: [{id, relation, createdAt,
           subject {id, kind, name}, object {id, kind, name},
           beliefs: [{function, p, magnitude, statedAt}],
           evidence {totalCount, nodes: [{id, sourceType, summary, observedAt,
                                          bears: [{propositionId, stance, strength,
                                                   magnitude}]}]}}]
}"""


@strawberry.type
class BulkQuery:
    @strawberry.field(
        description="A page of propositions (all, or a segment's scope; oldest first) with "
        "their subject and object, each function's current belief and the newest evidence "
        "with its bearings, as one JSON value shaped like the `propositions` listing:\n"
        + SHAPE
        + "\nTimes are ISO 8601 in UTC; beliefs are ordered by function, evidence newest "
        "observation first. For big reads: pages of up to 1000 propositions and up to 100 "
        "evidence items each, built by one database query. Support figures are on "
        "`propositions { support confidence status }` and `divergences`."
    )
    async def proposition_graph(
        self,
        info: Info[Context, None],
        segment_id: strawberry.ID | None = None,
        relation: Relation | None = None,
        as_of: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        evidence_per_proposition: int = DEFAULT_EVIDENCE,
    ) -> JSON:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        limit = check_page_size(first, DEFAULT_PAGE, bulk_reads.MAX_PROPOSITIONS)
        if not 0 <= evidence_per_proposition <= bulk_reads.MAX_EVIDENCE_PER_PROPOSITION:
            raise EvidencePerPropositionOutOfRange(
                evidence_per_proposition, bulk_reads.MAX_EVIDENCE_PER_PROPOSITION
            )
        pinned, key = pin_listing(as_of, after, ctx.now)
        position = time_position(key)
        scope = await segment_scope(ctx, segment_id)
        page: dict[str, Any] = await ctx.read(
            bulk_reads.proposition_graph,
            segment_id=scope,
            relation=relation.value if relation else None,
            as_of=pinned,
            after=position,
            limit=limit,
            evidence_limit=evidence_per_proposition,
        )
        return cast(JSON, page)
