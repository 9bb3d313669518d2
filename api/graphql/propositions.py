"""Propositions in GraphQL: one by id, the listing, and creating and retiring one.

The ``Proposition`` type is in ``nodes.py``, beside the evidence and beliefs it lists.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.entities import segment_scope
from api.graphql.errors import validated
from api.graphql.nodes import Proposition
from api.graphql.pagination import Connection, creation_key, described, window
from api.graphql.vocabulary import Relation, SupportStatus
from graph import propositions, support
from graph.kit.cursors import time_and_id
from schema import models


@described(
    "A page of propositions.",
    total_count="How many propositions match, over all pages.",
    nodes="The propositions of this page, without cursors.",
)
class PropositionConnection(Connection[Proposition]):
    pass


@strawberry.input(description="A statement (subject)-[relation]->(object).")
class CreatePropositionInput:
    subject_id: strawberry.ID
    relation: Relation
    object_id: strawberry.ID


@strawberry.type
class PropositionQuery:
    @strawberry.field(description="One proposition by id.")
    async def proposition(self, info: Info[Context, None], id: strawberry.ID) -> Proposition | None:
        info.context.actor  # noqa: B018 - reading needs a token
        found = await info.context.read(propositions.get, str(id))
        return None if found is None else Proposition.from_model(found)

    @strawberry.field(
        description="Propositions, oldest first: all, or those in a segment's scope, by relation "
        "and by what the evidence says as of asOf (status)."
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
    ) -> PropositionConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit, pinned, after_key = window(ctx, first, 50, as_of, after)
        after_position = None if after_key is None else time_and_id(after_key)
        scope = await segment_scope(ctx, segment_id)
        ids = None
        figures: dict[str, support.Support] = {}
        if status is not None:
            # One aggregation over the whole scope; the page's figures then need no query.
            figures = await loaders.support_in_scope(ctx, pinned, scope)
            ids = sorted(pid for pid, f in figures.items() if f.posterior.status == status.value)
        rows, total = await ctx.read(
            propositions.list_page,
            segment_id=scope,
            relation=relation,
            as_of=pinned,
            ids=ids,
            after=after_position,
            limit=limit + 1,
        )
        on_page = {p.id: figures[p.id] for p in rows[:limit] if p.id in figures}
        loaders.prime_support(ctx, pinned, on_page)
        # A bearing naming a proposition of this page needs no query of its own. (A listed
        # proposition is never merged away: a merge marks an endpoint merged, which hides it.)
        ctx.proposition_loader.prime_many({p.id: p for p in rows})
        return PropositionConnection.of(
            rows,
            limit,
            pinned,
            key=creation_key,
            node=lambda p: Proposition.from_model(p, pinned),
            total_count=total,
        )


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
