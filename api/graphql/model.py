"""Queries and mutations on the model itself: entities, propositions and functions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.types import (
    Entity,
    EntityConnection,
    EntityEdge,
    EntityKind,
    PageInfo,
    Proposition,
    PropositionConnection,
    PropositionEdge,
    Relation,
    SupportStatus,
    TeamFunction,
)
from graph import entities, functions, propositions, support
from graph.kit.cursors import check_page_size, decode_cursor, encode_cursor, time_and_id
from schema import models
from schema.errors import BadInput, NotFound
from schema.vocabulary import EntityKind as EntityKindEnum


@strawberry.input(
    description="A new entity. Send an idempotencyKey so a retry creates nothing new."
)
class CreateEntityInput:
    kind: EntityKind
    name: str = strawberry.field(description="The entity's name; for a CLAIM, its text.")
    description: str | None = None
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="ACCOUNT: the segment it belongs to."
    )
    status: str | None = strawberry.field(
        default=None, description="FEATURE: idea|planned|building|shipped; CLAIM: draft|live."
    )
    alt_kind: str | None = strawberry.field(
        default=None, description="ALTERNATIVE: competitor|workaround|status_quo."
    )
    channel: str | None = strawberry.field(default=None, description="CLAIM: where it is used.")
    idempotency_key: str | None = None


@strawberry.input(description="Fields to change; those left out stay as they are.")
class UpdateEntityInput:
    name: str | None = None
    description: str | None = None
    status: str | None = None
    alt_kind: str | None = None
    channel: str | None = None


@strawberry.input(description="A statement (subject)-[relation]->(object).")
class CreatePropositionInput:
    subject_id: strawberry.ID
    relation: Relation
    object_id: strawberry.ID


def _pin(
    as_of: datetime | None, after: str | None, now: datetime
) -> tuple[datetime, list[str] | None]:
    """The as-of time of a listing: the cursor's when paging on, else the one asked, else now."""
    if after is None:
        return as_of or now, None
    cursor = decode_cursor(after)
    return cursor.as_of, [str(k) for k in cursor.after]


def _created_key(key: list[str] | None) -> list[str] | None:
    """The (creation time, id) an entity or proposition cursor continues after."""
    return None if key is None else time_and_id(key)


@strawberry.type
class ModelQuery:
    @strawberry.field(description="One entity by id; a merged entity's id gives its survivor.")
    async def entity(
        self, info: Info[Context, None], id: strawberry.ID, as_of: datetime | None = None
    ) -> Entity | None:
        info.context.actor  # noqa: B018 - reading needs a token
        found = await info.context.read(entities.get, str(id), as_of)
        return None if found is None else Entity.from_model(found)

    @strawberry.field(description="Entities, oldest first, filtered by kind and a text search.")
    async def entities(
        self,
        info: Info[Context, None],
        kind: EntityKind | None = None,
        search: str | None = None,
        as_of: datetime | None = None,
        include_retired: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> EntityConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = check_page_size(first, 50, ctx.settings.max_page_size)
        pinned, after_key = _pin(as_of, after, ctx.now)
        after_key = _created_key(after_key)
        rows, total = await ctx.read(
            entities.list_page,
            kind=kind,
            search=search,
            as_of=pinned,
            include_retired=include_retired,
            after=after_key,
            limit=limit + 1,
        )
        page = rows[:limit]
        edges = [
            EntityEdge(
                cursor=encode_cursor(pinned, [e.created_at.isoformat(), e.id]),
                node=Entity.from_model(e),
            )
            for e in page
        ]
        return EntityConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                end_cursor=edges[-1].cursor if edges else None,
                as_of=pinned,
            ),
            total_count=total,
        )

    @strawberry.field(description="One proposition by id.")
    async def proposition(self, info: Info[Context, None], id: strawberry.ID) -> Proposition | None:
        info.context.actor  # noqa: B018
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
        limit = check_page_size(first, 50, ctx.settings.max_page_size)
        pinned, after_key = _pin(as_of, after, ctx.now)
        after_key = _created_key(after_key)
        if segment_id is not None:
            segment = await ctx.read(entities.get, str(segment_id), None)
            if segment is None or segment.kind is not EntityKindEnum.SEGMENT:
                raise NotFound("segment", str(segment_id))
        ids = None
        figures: dict[str, support.Support] = {}
        if status is not None:
            # One aggregation over the whole scope; the page's figures then need no query.
            figures = await loaders.support_in_scope(
                ctx, pinned, str(segment_id) if segment_id else None
            )
            ids = sorted(pid for pid, f in figures.items() if f.posterior.status == status.value)
        rows, total = await ctx.read(
            propositions.list_page,
            segment_id=str(segment_id) if segment_id else None,
            relation=relation,
            as_of=pinned,
            ids=ids,
            after=after_key,
            limit=limit + 1,
        )
        page = rows[:limit]
        loaders.prime_support(ctx, pinned, {p.id: figures[p.id] for p in page if p.id in figures})
        edges = [
            PropositionEdge(
                cursor=encode_cursor(pinned, [p.created_at.isoformat(), p.id]),
                node=Proposition.from_model(p, pinned),
            )
            for p in page
        ]
        return PropositionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                end_cursor=edges[-1].cursor if edges else None,
                as_of=pinned,
            ),
            total_count=total,
        )

    @strawberry.field(description="Every function (team), the seven defaults first.")
    async def functions(self, info: Info[Context, None]) -> list[TeamFunction]:
        info.context.actor  # noqa: B018
        return [TeamFunction.from_model(f) for f in await info.context.read(functions.list_all)]


@strawberry.type
class ModelMutation:
    @strawberry.mutation(description="Create an entity; the same idempotencyKey returns the first.")
    async def create_entity(self, info: Info[Context, None], input: CreateEntityInput) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        data = validated(
            lambda: models.EntityCreate(
                kind=input.kind,
                name=input.name,
                description=input.description,
                segment_id=str(input.segment_id) if input.segment_id else None,
                status=input.status,
                alt_kind=input.alt_kind,
                channel=input.channel,
                idempotency_key=input.idempotency_key,
            )
        )
        created, _ = await ctx.write(entities.create, actor, data, ctx.now)
        return Entity.from_model(created)

    @strawberry.mutation(description="Change an entity's name, description, status, ...")
    async def update_entity(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateEntityInput
    ) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        data = validated(
            lambda: models.EntityUpdate(
                name=input.name,
                description=input.description,
                status=input.status,
                alt_kind=input.alt_kind,
                channel=input.channel,
            )
        )
        updated = await ctx.write(entities.update, actor, str(id), data, ctx.now)
        return Entity.from_model(updated)

    @strawberry.mutation(description="Retire an entity (the one way to remove one), with a reason.")
    async def retire_entity(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        _check_reason(reason)
        return Entity.from_model(await ctx.write(entities.retire, actor, str(id), reason, ctx.now))

    @strawberry.mutation(description="Retire a proposition, with a reason.")
    async def retire_proposition(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Proposition:
        ctx = info.context
        actor = ctx.writer()
        _check_reason(reason)
        retired = await ctx.write(propositions.retire, actor, str(id), reason, ctx.now)
        return Proposition.from_model(retired)

    @strawberry.mutation(
        description="Create the proposition of a triple, or return the existing one."
    )
    async def create_proposition(
        self, info: Info[Context, None], input: CreatePropositionInput
    ) -> Proposition:
        ctx = info.context
        actor = ctx.writer()
        data = validated(
            lambda: models.PropositionCreate(
                subject_id=str(input.subject_id),
                relation=input.relation,
                object_id=str(input.object_id),
            )
        )
        created, _ = await ctx.write(propositions.create, actor, data, ctx.now)
        return Proposition.from_model(created)


def _check_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > 2000 or "\x00" in reason:
        raise BadInput("a reason of 1-2000 characters is needed")
