"""Reading evidence: items by id, a proposition's evidence, paged listings, and the rule for
which evidence counts as of a time (shared with support and the bulk reads)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from neo4j import AsyncManagedTransaction

from graph.kit import records
from graph.kit.connection import fetch_all, fetch_collected, fetch_one
from schema.models import Evidence, EvidenceItem

# How an item ``ev`` bears on its propositions, as a map entry of its projection.
_BEARINGS = """[(ev)-[b:BEARS_ON]->(p:Proposition) |
          {proposition_id: p.id, stance: b.stance, strength: b.strength,
           magnitude: b.magnitude}]"""
_BEARS = "bears: " + _BEARINGS

EVIDENCE_PROJECTION = (
    """
ev {.id, .source_type, .summary, .source_ref, .observed_at, .recorded_at, .recorded_by,
    .function, .account_id, .import_id, .retracted_at, .retract_reason, .redacted_at,
    """
    + _BEARS
    + "}\n"
)

# As EVIDENCE_PROJECTION, times as text (``records.from_text``), and the bearings only when
# the request row ``r`` asks for them (``r.bears``): the nested GraphQL reads turn every item
# into a page of JSON, where a hydrated DateTime cost a quarter of the request
# (docs/benchmarks.md, "GraphQL beside @neo4j/graphql").
# What each field of an evidence item reads, as an entry of EVIDENCE_TEXT_PROJECTION's map.
_TEXT_ENTRIES = {
    "id": ".id",
    "source_type": ".source_type",
    "summary": ".summary",
    "source_ref": ".source_ref",
    "recorded_by": ".recorded_by",
    "function": ".function",
    "account_id": ".account_id",
    "import_id": ".import_id",
    "retract_reason": ".retract_reason",
    "observed_at": "observed_at: split(toString(ev.observed_at), '[')[0]",
    "recorded_at": "recorded_at: split(toString(ev.recorded_at), '[')[0]",
    "retracted_at": "retracted_at: split(toString(ev.retracted_at), '[')[0]",
    "redacted_at": "redacted_at: split(toString(ev.redacted_at), '[')[0]",
    "bears": "bears: CASE WHEN r.bears THEN " + _BEARINGS + " ELSE [] END",
}
EVIDENCE_FIELDS = frozenset(_TEXT_ENTRIES)
"""The fields of an evidence item a page may be asked to read (``page_items``)."""


@functools.lru_cache(maxsize=256)
def _text_projection(fields: frozenset[str]) -> str:
    return "\nev {" + ", ".join(e for f, e in _TEXT_ENTRIES.items() if f in fields) + "}\n"


# As EVIDENCE_PROJECTION, times as text (``records.from_text``), and the bearings only when
# the request row ``r`` asks for them (``r.bears``): the nested GraphQL reads turn every item
# into a page of JSON, where a hydrated DateTime cost a quarter of the request
# (docs/benchmarks.md, "GraphQL beside @neo4j/graphql").
EVIDENCE_TEXT_PROJECTION = _text_projection(EVIDENCE_FIELDS)

# An imported item shows only once its whole import had committed by $as_of.
_IMPORT_COMMITTED = """  AND (ev.import_id IS NULL
       OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= $as_of })
"""

# The evidence that counts as of $as_of (a condition on ``ev``, for a WHERE): recorded by then,
# not yet retracted, and not part of an import still in flight.
COUNTED_AS_OF = (
    """ev.recorded_at <= $as_of
  AND (ev.retracted_at IS NULL OR ev.retracted_at > $as_of)
"""
    + _IMPORT_COMMITTED
)

# As COUNTED_AS_OF, with the items retracted by then too when $include_retracted.
SHOWN_AS_OF = (
    """ev.recorded_at <= $as_of
  AND ($include_retracted OR ev.retracted_at IS NULL OR ev.retracted_at > $as_of)
"""
    + _IMPORT_COMMITTED
)

# Many items by id in one collected record, times as epoch parts (``records.from_epoch``):
# read back after a 5,000-item addEvidence, a record and four hydrated DateTimes per item
# cost three times the write itself (benchmark a, docs/benchmarks.md).
GET_EVIDENCE = (
    """
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
  """
    + _BEARS
    + """
}) AS rows
"""
)

LIST_FOR_PROPOSITION = (
    """
MATCH (ev:Evidence)-[:BEARS_ON]->(:Proposition {id: $proposition_id})
WHERE """
    + SHOWN_AS_OF
    + "RETURN "
    + EVIDENCE_PROJECTION
    + """ AS evidence
ORDER BY ev.observed_at DESC, ev.id
LIMIT $limit
"""
)

# Starts from the proposition when one is named, so a listing never scans all evidence.
_LISTED = (
    """
CALL {
  MATCH (ev:Evidence)-[:BEARS_ON]->(:Proposition {id: $proposition_id}) RETURN ev
  UNION
  MATCH (ev:Evidence) WHERE $proposition_id IS NULL RETURN ev
}
WITH ev
WHERE """
    + SHOWN_AS_OF
    + """  AND ($account_id IS NULL OR ev.account_id = $account_id)
  AND ($source_type IS NULL OR ev.source_type = $source_type)
"""
)

# The listing's further filters, by the parameter each takes: written into the query only
# when given (``listed``), since Cypher does not skip an ``$x IS NULL OR ...`` guard's other
# side: guarded, they made an unfiltered page and count of 100k items a third slower
# (docs/benchmarks.md, "Listing filters at M"). The stance is that of the bearing on
# $proposition_id, or of any bearing when none is named; the time bounds are a half-open
# range compared as instants, as the cursor is (see EVIDENCE_ORDERS).
_FILTERS = {
    "stance": """  AND EXISTS { MATCH (ev)-[b:BEARS_ON]->(q:Proposition)
               WHERE b.stance = $stance
                 AND ($proposition_id IS NULL OR q.id = $proposition_id) }
""",
    "observed_from": """  AND [ev.observed_at.epochSeconds, ev.observed_at.nanosecond]
      >= [$observed_from.epochSeconds, $observed_from.nanosecond]
""",
    "observed_before": """  AND [ev.observed_at.epochSeconds, ev.observed_at.nanosecond]
      < [$observed_before.epochSeconds, $observed_before.nanosecond]
""",
    "search": "  AND toLower(ev.summary) CONTAINS $search\n",
}
FILTER_NAMES = frozenset(_FILTERS)


def listed(given: frozenset[str] = frozenset()) -> str:
    """The items the listing shows, ``ev``, with the filters of ``given`` (_FILTERS names)."""
    return _LISTED + "".join(text for name, text in _FILTERS.items() if name in given)


# The listing's orders, by the name ``list_page`` takes (the GraphQL ``EvidenceOrder``): the
# rows after the cursor's (time, id), passed as $after_observed and $after_id whatever the
# time is, and the ORDER BY that pages them. Newest observation first is the default. Times
# compare as instants (epoch seconds, nanoseconds): Cypher orders two datetimes of the same
# instant in different zone forms ('Z' and '[UTC]') by zone, and never calls them equal.
EVIDENCE_ORDERS = {
    "NEWEST_OBSERVED": (
        """  AND ($after_observed IS NULL
       OR [ev.observed_at.epochSeconds, ev.observed_at.nanosecond, ev.id]
          < [$after_observed.epochSeconds, $after_observed.nanosecond, $after_id])
""",
        "ORDER BY ev.observed_at.epochSeconds DESC, ev.observed_at.nanosecond DESC, ev.id DESC\n",
    ),
    "OLDEST_OBSERVED": (
        """  AND ($after_observed IS NULL
       OR [ev.observed_at.epochSeconds, ev.observed_at.nanosecond, ev.id]
          > [$after_observed.epochSeconds, $after_observed.nanosecond, $after_id])
""",
        "ORDER BY ev.observed_at.epochSeconds, ev.observed_at.nanosecond, ev.id\n",
    ),
    # What came in lately, whenever it was observed.
    "NEWEST_RECORDED": (
        """  AND ($after_observed IS NULL
       OR [ev.recorded_at.epochSeconds, ev.recorded_at.nanosecond, ev.id]
          < [$after_observed.epochSeconds, $after_observed.nanosecond, $after_id])
""",
        "ORDER BY ev.recorded_at.epochSeconds DESC, ev.recorded_at.nanosecond DESC, ev.id DESC\n",
    ),
}


@functools.lru_cache(maxsize=64)  # an order and a set of filters: 48 at most
def list_evidence_page(order: str, given: frozenset[str] = frozenset()) -> str:
    """A page of the listing in ``order`` (EVIDENCE_ORDERS), with the filters ``given``."""
    after, order_by = EVIDENCE_ORDERS[order]
    return (
        listed(given)
        + after
        + "RETURN "
        + EVIDENCE_PROJECTION
        + " AS evidence\n"
        + order_by
        + "LIMIT $limit\n"
    )


LIST_EVIDENCE_PAGE = list_evidence_page("NEWEST_OBSERVED")


@functools.lru_cache(maxsize=16)
def count_evidence(given: frozenset[str] = frozenset()) -> str:
    return listed(given) + "RETURN count(ev) AS total"


COUNT_EVIDENCE = count_evidence()


# The facets of the whole listing (every page): one row per source type and set of stances
# (each item's stance on $proposition_id, or the stances of all its bearings when none is
# named), with how many items have both; ``count_facets`` sums them per facet.
@functools.lru_cache(maxsize=16)
def count_evidence_facets(given: frozenset[str] = frozenset()) -> str:
    return (
        listed(given)
        + """WITH ev, [(ev)-[b:BEARS_ON]->(q:Proposition)
              WHERE $proposition_id IS NULL OR q.id = $proposition_id | b.stance] AS stances
RETURN ev.source_type AS source_type,
       [s IN ['SUPPORTS', 'CONTRADICTS'] WHERE s IN stances] AS stances,
       count(*) AS items
"""
    )


# One page of one proposition's evidence for the request row ``r`` in scope: its
# ``proposition_id``, as-of time, retracted flag, cursor (``after_observed``, ``after_id``),
# page size and ``bears`` (so SHOWN_AS_OF's rule is written here over the row's values).
# Yields ``total`` (over all pages) and ``page``, the items of the page.
EVIDENCE_PAGE_OF_REQUEST = """
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
"""


def page_items(fields: frozenset[str] | None = None) -> str:
    """The page's items as ``evidence``, for a RETURN after EVIDENCE_PAGE_OF_REQUEST: every
    field, or only ``fields`` (and the id) where the query selected no more. A big nested
    read then sends and decodes a third of the values (docs/benchmarks.md)."""
    chosen = EVIDENCE_FIELDS if fields is None else fields | {"id"}
    return "[ev IN page | " + _text_projection(chosen) + "] AS evidence"


EVIDENCE_PAGE_ITEMS = page_items()


# One page of evidence per requested proposition, for DataLoaders: each request row carries
# its own as-of time, retracted flag, cursor and page size.
def _pages_for_propositions(fields: frozenset[str] | None) -> str:
    return (
        "UNWIND $requests AS r"
        + EVIDENCE_PAGE_OF_REQUEST
        + "RETURN r.index AS index, total, "
        + page_items(fields)
        + "\n"
    )


EVIDENCE_PAGES_FOR_PROPOSITIONS = _pages_for_propositions(None)

COUNT_ALL = "MATCH (ev:Evidence) RETURN count(ev) AS n"


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


class Listing(TypedDict):
    """What an evidence listing is filtered by, None where unused; the further filters
    (_FILTERS) may be left out. The observed bounds are a half-open range; ``search`` is
    matched lower-cased against the summary."""

    proposition_id: str | None
    account_id: str | None
    source_type: str | None
    as_of: datetime
    include_retracted: bool
    stance: NotRequired[str | None]
    observed_from: NotRequired[datetime | None]
    observed_before: NotRequired[datetime | None]
    search: NotRequired[str | None]


def _given(filters: Listing) -> frozenset[str]:
    """The further filters (_FILTERS) these parameters set."""
    values: Mapping[str, object] = filters
    return frozenset(name for name in FILTER_NAMES if values.get(name) is not None)


async def list_page(
    tx: AsyncManagedTransaction,
    *,
    after: tuple[datetime, str] | None,
    limit: int,
    order: str = "NEWEST_OBSERVED",
    **filters: Unpack[Listing],
) -> tuple[list[Evidence], int]:
    """A page of evidence in ``order`` (an EVIDENCE_ORDERS name; ``after`` is the sort key's
    time and id), and how many match over all pages."""
    given = _given(filters)
    rows = await fetch_all(
        tx,
        list_evidence_page(order, given),
        **filters,
        after_observed=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit,
    )
    total = await fetch_one(tx, count_evidence(given), **filters)
    return [records.evidence(r["evidence"]) for r in rows], int(total["total"] if total else 0)


Facets = tuple[dict[str, int], dict[str, int]]  # items per source type, per stance


async def count_facets(tx: AsyncManagedTransaction, **filters: Unpack[Listing]) -> Facets:
    """How many items of the listing ``list_page`` pages through (every page) have each
    source type, and each stance (see COUNT_EVIDENCE_FACETS): two maps, with only the
    values some item has."""
    rows = await fetch_all(tx, count_evidence_facets(_given(filters)), **filters)
    return _facets(rows)


def _facets(rows: list[dict[str, Any]]) -> Facets:
    """The two maps of rows ``{source_type, stances, items}``: an item counts once per source
    type, and once under each stance it bears with."""
    by_source: dict[str, int] = {}
    by_stance: dict[str, int] = {}
    for row in rows:
        items = int(row["items"])
        by_source[row["source_type"]] = by_source.get(row["source_type"], 0) + items
        for found in row["stances"]:
            by_stance[found] = by_stance.get(found, 0) + items
    return by_source, by_stance


# COUNT_EVIDENCE_FACETS for many propositions' own evidence at once (``Proposition.evidence``
# selecting ``counts``), one request row ``r`` each (its ``index``, ``proposition_id``, as-of
# time and retracted flag): SHOWN_AS_OF's rule written over the row's values, as
# EVIDENCE_PAGE_OF_REQUEST writes it for the pages themselves.
FACETS_FOR_PROPOSITIONS = """
UNWIND $requests AS r
MATCH (ev:Evidence)-[b:BEARS_ON]->(:Proposition {id: r.proposition_id})
WHERE ev.recorded_at <= r.as_of
  AND (r.include_retracted OR ev.retracted_at IS NULL OR ev.retracted_at > r.as_of)
  AND (ev.import_id IS NULL
       OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= r.as_of })
WITH r, ev, collect(b.stance) AS stances
RETURN r.index AS index, ev.source_type AS source_type,
       [s IN ['SUPPORTS', 'CONTRADICTS'] WHERE s IN stances] AS stances, count(*) AS items
"""


async def facets_for_propositions(
    tx: AsyncManagedTransaction, requests: list[dict[str, Any]]
) -> list[Facets]:
    """``count_facets`` of each request's proposition's own evidence (``proposition_id``,
    ``as_of``, ``include_retracted``), in order, in one query."""
    rows = await fetch_all(
        tx, FACETS_FOR_PROPOSITIONS, requests=[{"index": n, **r} for n, r in enumerate(requests)]
    )
    by_index: dict[int, list[dict[str, Any]]] = {n: [] for n in range(len(requests))}
    for row in rows:
        by_index[int(row["index"])].append(row)
    return [_facets(by_index[n]) for n in range(len(requests))]


async def pages_for_propositions(
    tx: AsyncManagedTransaction, requests: list[dict[str, Any]]
) -> list[tuple[list[EvidenceItem], int]]:
    """One page per request, in order, in one query.

    Each request names ``proposition_id``, ``as_of``, ``include_retracted``, ``after`` (an
    ``(observed_at, id)`` pair or None) and ``limit``; with ``bears`` false (default true)
    its items come without their bearings; with ``fields`` (a set of EVIDENCE_FIELDS; default
    None, every field) its items are ``PartialEvidence`` holding those fields (and those the
    batch's other requests ask for).
    """
    wanted: list[frozenset[str] | None] = [r.get("fields") for r in requests]
    fields: frozenset[str] | None = frozenset()
    for asked in wanted:
        fields = None if fields is None or asked is None else fields | asked
    result = await tx.run(
        _pages_for_propositions(fields),
        requests=[{"index": n, **page_request(r)} for n, r in enumerate(requests)],
    )
    by_index = {
        int(row["index"]): page_at_text(row["evidence"], row["total"], partial=fields is not None)
        async for row in result
    }
    return [by_index.get(n, ([], 0)) for n in range(len(requests))]


def page_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request row ``r`` of EVIDENCE_PAGE_OF_REQUEST for one page (see
    ``pages_for_propositions``)."""
    after = request["after"]
    return {
        "proposition_id": request.get("proposition_id"),
        "as_of": request["as_of"],
        "include_retracted": request["include_retracted"],
        "after_observed": after[0] if after else None,
        "after_id": after[1] if after else None,
        "limit": request["limit"],
        "bears": request.get("bears", True),
    }


def page_at_text(
    items: list[Any], total: Any, *, partial: bool = False
) -> tuple[list[EvidenceItem], int]:
    """A page as ``page_items`` and ``total`` give it: plain maps and lists as the driver
    decoded them, with no ``Record.data()`` copy; ``partial`` when only some fields were
    read (then the items are ``PartialEvidence``)."""
    read = records.partial_evidence_at_text if partial else records.evidence_at_text
    return [read(e) for e in items], int(total)


async def count(tx: AsyncManagedTransaction) -> int:
    row = await fetch_one(tx, COUNT_ALL)
    return int(row["n"]) if row else 0
