"""Propositions in GraphQL: one by id, the listing, and creating and retiring one.

The ``Proposition`` type is in ``nodes.py``, beside the evidence and beliefs it lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionNode,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types import Info
from strawberry.types.nodes import get_variable_values

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.entities import segment_scope
from api.graphql.errors import validated
from api.graphql.nodes import (
    EvidencePage,
    Proposition,
    evidence_page_of,
    most_first,
    names_in,
)
from api.graphql.pagination import (
    Connection,
    creation_key,
    described,
    key_in_order,
    ordered_key,
    search_needle,
    time_range,
    window,
)
from api.graphql.vocabulary import Relation, SupportStatus
from graph import listings, propositions, support
from graph.kit import coalesce
from graph.kit.cursors import time_and_id
from schema import models


@strawberry.enum(description="The orders of the propositions listing.")
class PropositionOrder(Enum):
    OLDEST_FIRST = strawberry.enum_value(
        "OLDEST_FIRST", description="Oldest created first (then by id): the default."
    )
    NEWEST_FIRST = strawberry.enum_value(
        "NEWEST_FIRST", description="Newest created first (then by id)."
    )


DEFAULT_ORDER = PropositionOrder.OLDEST_FIRST.name
ORDER_NAMES = tuple(order.name for order in PropositionOrder)


@strawberry.type(description="How many propositions of a listing have one relation.")
class RelationCount:
    relation: Relation = strawberry.field(description="The relation.")
    count: int = strawberry.field(description="How many, over all pages, have it.")


@strawberry.type(description="How many propositions of a listing have one status.")
class StatusCount:
    status: SupportStatus = strawberry.field(description="The status, as of the listing's asOf.")
    count: int = strawberry.field(description="How many, over all pages, have it.")


@strawberry.type(
    description="Facet counts of a propositions listing: its propositions over all pages "
    "(not just this one), as its arguments filter them. Each list holds only the values "
    "some proposition has, most first (then by value)."
)
class PropositionCounts:
    by_relation: list[RelationCount] = strawberry.field(
        description="Per relation; the counts add up to totalCount."
    )
    ids: strawberry.Private[list[str]]
    as_of: strawberry.Private[datetime]
    segment_id: strawberry.Private[str | None]

    @strawberry.field(
        description="Per status as of the listing's asOf, as each proposition's status "
        "field reads it; the counts add up to totalCount. Weighs the evidence of the whole "
        "scope (the segment's, else the model's): read only when asked for."
    )
    async def by_status(self, info: Info[Context, None]) -> list[StatusCount]:
        figures = await loaders.support_in_scope(info.context, self.as_of, self.segment_id)
        statuses: dict[str, int] = {}
        for pid in self.ids:
            found = figures.get(pid) or loaders.no_evidence(pid)
            statuses[found.posterior.status] = statuses.get(found.posterior.status, 0) + 1
        return [
            StatusCount(status=SupportStatus(status), count=n) for status, n in most_first(statuses)
        ]


@described(
    "A page of propositions.",
    total_count="How many propositions match, over all pages.",
    nodes="The propositions of this page, without cursors.",
)
class PropositionConnection(Connection[Proposition]):
    # The listing's filters (``propositions.listing_filters``) and scope, for ``counts``.
    listing: strawberry.Private[dict[str, Any] | None] = None

    @strawberry.field(
        description="How many propositions of the whole listing (every page) have each "
        "relation and each status; read only when asked for."
    )
    async def counts(self, info: Info[Context, None]) -> PropositionCounts:
        assert self.listing is not None
        found = await info.context.read(propositions.count_by_relation, self.listing)
        return PropositionCounts(
            by_relation=[
                RelationCount(relation=Relation(relation), count=n)
                for relation, n in most_first({r: n for r, (n, _) in found.items()})
            ],
            ids=[pid for _, ids in found.values() for pid in ids],
            as_of=self.listing["as_of"],
            segment_id=self.listing["segment_id"],
        )


@strawberry.input(description="A statement (subject)-[relation]->(object).")
class CreatePropositionInput:
    subject_id: strawberry.ID
    relation: Relation
    object_id: strawberry.ID


@strawberry.type
class PropositionQuery:
    @strawberry.field(description="One proposition by id.")
    async def proposition(self, info: Info[Context, None], id: strawberry.ID) -> Proposition | None:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        if ctx.bookmarks:  # a write of its own to see: read alone
            found = await ctx.read(propositions.get, str(id))
        else:  # read together with the other requests' (graph.kit.coalesce)
            found = await coalesce.read_together(ctx.db, propositions.get_many).get(str(id))
        return None if found is None else Proposition.from_model(found)

    @strawberry.field(
        description="Propositions, oldest first unless orderBy says otherwise: all, or those "
        "in a segment's scope, by relation, by what the evidence says as of asOf (status), "
        "by the text they read as and by when they were created."
    )
    async def propositions(
        self,
        info: Info[Context, None],
        segment_id: strawberry.ID | None = None,
        relation: Relation | None = None,
        status: SupportStatus | None = None,
        as_of: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only propositions whose text ('Subject RELATION Object', as "
                "their text field reads) holds this, in any case: a subject's or object's "
                "name, or a relation (at most 200 characters; a blank one filters nothing)."
            ),
        ] = None,
        created_from: Annotated[
            datetime | None,
            strawberry.argument(description="Only propositions created at or after this time."),
        ] = None,
        created_before: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only propositions created before this time (later than createdFrom)."
            ),
        ] = None,
        order_by: Annotated[
            PropositionOrder,
            strawberry.argument(
                description="The order of the propositions; a cursor continues only in the "
                "order it was made in."
            ),
        ] = PropositionOrder.OLDEST_FIRST,
    ) -> PropositionConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit, pinned, cursor_key = window(ctx, first, 50, as_of, after)
        order = order_by.name
        after_key = key_in_order(cursor_key, order, DEFAULT_ORDER, ORDER_NAMES, 2)
        after_position = None if after_key is None else time_and_id(after_key)
        needle = search_needle(search)
        created = time_range(created_from, created_before, "createdFrom", "createdBefore")
        scope = await segment_scope(ctx, segment_id)
        ids = None
        figures: dict[str, support.Support] = {}
        if status is not None:
            # One aggregation over the whole scope; the page's figures then need no query.
            figures = await loaders.support_in_scope(ctx, pinned, scope)
            ids = sorted(pid for pid, f in figures.items() if f.posterior.status == status.value)
        endpoints, nested = _nested_reads(ctx, info, pinned)
        page = await ctx.read(
            listings.proposition_page,
            counted=_asks_total(info),
            segment_id=scope,
            relation=relation,
            as_of=pinned,
            ids=ids,
            after=after_position,
            limit=limit + 1,
            endpoints=endpoints,
            evidence=None if nested is None else _page_request(nested),
            search=needle,
            created_from=created[0],
            created_before=created[1],
            order=order,
        )
        rows, total = page.propositions, page.total
        # What the nodes select, read with the page, waits in the loaders that would read it.
        ctx.entity_loader.prime_many(page.entities)
        if nested is not None:
            evidence_pages = loaders.evidence_page_loader(ctx)
            for row, found in zip(rows, page.evidence, strict=True):
                evidence_pages.prime(dataclasses.replace(nested.key, proposition_id=row.id), found)
        on_page = {p.id: figures[p.id] for p in rows[:limit] if p.id in figures}
        loaders.prime_support(ctx, pinned, on_page)
        # A bearing naming a proposition of this page needs no query of its own. (A listed
        # proposition is never merged away: a merge marks an endpoint merged, which hides it.)
        ctx.proposition_loader.prime_many({p.id: p for p in rows})
        return PropositionConnection.of(
            rows,
            limit,
            pinned,
            key=lambda p: ordered_key(creation_key(p), order, DEFAULT_ORDER),
            node=lambda p: Proposition.from_model(p, pinned),
            total_count=total,  # None only where nothing shows it (_asks_total)
            listing=propositions.listing_filters(scope, relation, pinned, ids, needle, *created),
        )


ENDPOINT_FIELDS = frozenset({"subject", "object", "text"})


def _fields(info: GraphQLResolveInfo[Any], nodes: Iterable[SelectionNode]) -> Iterator[FieldNode]:
    """The fields of a selection, through fragments (their directives not applied)."""
    for node in nodes:
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(info, node.selection_set.selections)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in info.fragments:
            yield from _fields(info, info.fragments[node.name.value].selection_set.selections)


def _below(info: GraphQLResolveInfo[Any], field: FieldNode) -> Iterator[FieldNode]:
    return _fields(info, field.selection_set.selections if field.selection_set else ())


def _asks_total(info: Info[Context, None]) -> bool:
    """Whether the query selects the listing's ``totalCount`` (through fragments, directives
    not applied). Counting every match costs as much as reading the page; a query that does
    not show the count does not pay for it (the connection's count is then never read)."""
    if not getattr(info.schema, "reads_nested", False):
        return True
    raw = info._raw_info
    return any(
        field.name.value == "totalCount" for node in raw.field_nodes for field in _below(raw, node)
    )


def _node_fields(info: GraphQLResolveInfo[Any]) -> Iterator[FieldNode]:
    """The fields selected on the listing's nodes (``nodes`` or ``edges { node }``)."""
    for listing in info.field_nodes:
        for field in _below(info, listing):
            if field.name.value == "nodes":
                yield from _below(info, field)
            elif field.name.value == "edges":
                for edge_field in _below(info, field):
                    if edge_field.name.value == "node":
                        yield from _below(info, edge_field)


def _nested_reads(
    ctx: Context, info: Info[Context, None], pinned: datetime
) -> tuple[bool, EvidencePage | None]:
    """Whether the nodes select their endpoints, and the evidence page (for a proposition
    whose id is then filled in) they select, when they select exactly one; else None, and
    the evidence is read as before, by its own field. (What is read here for a field the
    answer then skips, by ``@skip`` or ``@include``, is only read for nothing.)"""
    if not getattr(info.schema, "reads_nested", False):
        return False, None
    raw = info._raw_info
    selected = list(_node_fields(raw))
    endpoints = any(field.name.value in ENDPOINT_FIELDS for field in selected)
    pages: set[EvidencePage] = set()
    # The request's coerced variables, as graphql-core's executor holds them.
    variables = VariableValues(sources={}, coerced=get_variable_values(raw))
    evidence = raw.schema.get_type("Proposition")
    assert isinstance(evidence, GraphQLObjectType)
    for field in selected:
        if field.name.value != "evidence":
            continue
        try:
            # Coerced as the field's resolver gets them: variables, defaults, scalars.
            arguments = get_argument_values(evidence.fields["evidence"], field, variables)
            pages.add(
                evidence_page_of(
                    ctx,
                    "",
                    arguments.get("asOf") or pinned,
                    arguments["includeRetracted"],
                    arguments.get("first"),
                    arguments.get("after"),
                    selected=names_in(field.selection_set, raw.fragments),
                )
            )
        except Exception:
            return endpoints, None  # bad arguments: the field itself refuses them, as ever
    return endpoints, (pages.pop() if len(pages) == 1 else None)


def _page_request(page: EvidencePage) -> dict[str, Any]:
    key = page.key
    return {
        "as_of": key.as_of,
        "include_retracted": key.include_retracted,
        "after": key.after,
        "limit": key.limit,
        "bears": key.bears,
        "fields": key.fields,
    }


@strawberry.type
class PropositionMutation:
    @strawberry.mutation(description="Retire a proposition, with a reason.")
    async def retire_proposition(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Proposition:
        retired = await info.context.write_with_reason(propositions.retire, str(id), reason)
        return Proposition.from_model(retired)

    @strawberry.mutation(
        description="Bring a retired proposition back, with a reason (refused while one of its "
        "entities is retired); the audit log keeps the retirement and its undoing. A "
        "proposition that is not retired is answered as it is."
    )
    async def unretire_proposition(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Proposition:
        restored = await info.context.write_with_reason(propositions.unretire, str(id), reason)
        return Proposition.from_model(restored)

    @strawberry.mutation(
        description="Create the proposition of a triple, or return the existing one."
    )
    async def create_proposition(
        self, info: Info[Context, None], input: CreatePropositionInput
    ) -> Proposition:
        ctx = info.context
        actor = ctx.writer()
        data = validated(lambda: models.PropositionCreate(**dataclasses.asdict(input)))
        created, _ = await ctx.write(propositions.create, actor, data, ctx.now)
        return Proposition.from_model(created)
