"""The typed proposition listing and what its nodes show, read in one query.

A GraphQL page of propositions that selects each proposition's subject and object and a
page of its evidence read them level by level: the page and its count, then the entities
and the evidence pages, three round trips in a row in two transactions.
``proposition_page`` reads the same rows with the same Cypher (the listing's,
``graph/propositions.py``; the entity loader's, ``graph/entities.py``, with the times as
text, as the listing sends them: two entities per row, where hydrating the driver's
DateTimes cost a quarter of the read; the evidence loader's, ``graph/evidence/reading.py``)
as one query, as Neo4j's own GraphQL library compiles a whole operation into one; the
caller hands the entities and pages to the loaders that would have read them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import propositions
from graph.entities import ENTITY_TEXT_PROJECTION, FOLLOW_MERGES
from graph.evidence.reading import (
    EVIDENCE_PAGE_OF_REQUEST,
    page_at_text,
    page_items,
    page_request,
)
from graph.kit import records
from graph.kit.connection import fetch_one
from schema.models import Entity, EvidenceItem, Proposition
from schema.vocabulary import Relation


def _count(given: frozenset[str]) -> str:
    """The listing's count, with the filters ``given`` (``propositions.listed_by_id``)."""
    return "CALL {" + propositions.listed_by_id(given) + "RETURN count(p) AS listed\n}\n"


def _page(order: str, given: frozenset[str]) -> str:
    """The listing's page in ``order`` (``propositions.ORDERS``) with the filters ``given``:
    one row per proposition of the page (none for an empty page, whose count is then read
    on its own)."""
    return "CALL {" + propositions.listed_page(order, given) + "}\n"


def _endpoint(match: str, returned_as: str) -> str:
    """The entity the loader reads for a proposition's endpoint (a merged id's survivor),
    null where none exists; ``match`` finds it, ``returned_as`` names it."""
    return (
        "CALL {\n  WITH p\n"
        + match
        + FOLLOW_MERGES
        + "WITH coalesce(survivor, found) AS e\n  RETURN "
        + ENTITY_TEXT_PROJECTION
        + returned_as
        + "\n}\n"
    )


_ENDPOINTS = _endpoint(
    "  OPTIONAL MATCH (found:Entity {id: p.subject_id})", " AS subject"
) + _endpoint("  OPTIONAL MATCH (found:Entity {id: p.object_id})", " AS object")


# The evidence page of each proposition: the request row ``$evidence`` with its id. The items
# are projected in a scope of their own: there the projection's ``p`` (a bearing's
# proposition) is its own variable, not the listed proposition.
def _evidence(fields: frozenset[str] | None) -> str:
    return (
        "WITH *, $evidence AS request\nWITH *, request {.*, proposition_id: p.id} AS r"
        + EVIDENCE_PAGE_OF_REQUEST
        + "CALL {\n  WITH r, page\n  RETURN "
        + page_items(fields)
        + "\n}\n"
    )


@functools.lru_cache(maxsize=256)  # a query per selection seen; a few in practice
def _query(
    counted: bool,
    endpoints: bool,
    evidence: bool,
    fields: frozenset[str] | None,
    order: str = "OLDEST_FIRST",
    given: frozenset[str] = frozenset(),
) -> str:
    """The listing's query: with its count, with the endpoints, and with an evidence page
    reading ``fields`` of its items (None: all), in ``order`` with the filters ``given``
    (see ``_page``)."""
    returned = [propositions.PROPOSITION_TEXT_PROJECTION + " AS proposition"]
    text = _page(order, given)
    if counted:
        text = _count(given) + text
        returned.insert(0, "listed")
    if endpoints:
        text += _ENDPOINTS
        returned += ["subject", "object"]
    if evidence:
        text += _evidence(fields)
        returned += ["total AS evidence_total", "evidence"]
    return text + "RETURN " + ", ".join(returned) + "\n" + propositions.ORDERS[order][1]


@dataclass(frozen=True, slots=True)
class PropositionPage:
    propositions: list[Proposition]  # the page's rows (one more than the page when there is)
    total: int | None  # how many match, over all pages (None when not ``counted``)
    entities: dict[str, Entity]  # by the id asked for: each row's subject_id and object_id
    evidence: list[tuple[list[EvidenceItem], int]]  # per row, in order: items and their count


async def proposition_page(
    tx: AsyncManagedTransaction,
    *,
    segment_id: str | None,
    relation: Relation | None,
    as_of: datetime,
    ids: list[str] | None,
    after: list[Any] | None,
    limit: int,
    endpoints: bool,
    evidence: dict[str, Any] | None,
    counted: bool = True,
    search: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    order: str = "OLDEST_FIRST",
) -> PropositionPage:
    """``propositions.list_page``, with each row's endpoints (``endpoints``) and a page of
    its evidence (``evidence``: a request as ``evidence.pages_for_propositions`` takes one,
    without ``proposition_id``), read as the loaders read them, in the same query; the count
    of all pages only when ``counted``; with the listing's own filters
    (``propositions.listed_by_id``) and in ``order``."""
    filters = propositions.listing_filters(
        segment_id, relation, as_of, ids, search, created_from, created_before
    )
    params = {
        **filters,
        "after_created": datetime.fromisoformat(after[0]) if after else None,
        "after_id": after[1] if after else None,
        "limit": limit,
        "evidence": None if evidence is None else page_request(evidence),
    }
    fields = None if evidence is None else evidence.get("fields")
    given = propositions.given_filters(filters)
    result = await tx.run(
        _query(counted, endpoints, evidence is not None, fields, order, given), params
    )
    rows: list[Proposition] = []
    entities: dict[str, Entity] = {}
    pages: list[tuple[list[EvidenceItem], int]] = []
    total = None
    # Plain maps and lists as the driver decoded them: no ``Record.data()`` copy.
    async for row in result:
        if counted:
            total = row["listed"]
        found = records.proposition_at_text(row["proposition"])
        rows.append(found)
        if endpoints:
            for entity_id, entity in (
                (found.subject_id, row["subject"]),
                (found.object_id, row["object"]),
            ):
                if entity is not None:
                    entities[entity_id] = records.entity_at_text(entity)
        if evidence is not None:
            pages.append(
                page_at_text(row["evidence"], row["evidence_total"], partial=fields is not None)
            )
    if counted and total is None:
        found_total = await fetch_one(tx, propositions.count_propositions(given), **filters)
        total = found_total["total"] if found_total else 0
    return PropositionPage(rows, None if total is None else int(total), entities, pages)
