"""Entities in GraphQL: the type, the listing, and creating, changing and retiring one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.mirrored import mirrored
from api.graphql.pagination import (
    Connection,
    creation_key,
    described,
    key_in_order,
    ordered_key,
    window,
)
from api.graphql.shapes import MEMBER_IDS, renamed
from api.graphql.vocabulary import EntityKind
from graph import entities
from graph.kit import coalesce
from graph.kit.cursors import time_and_id
from schema import models
from schema.entities import SegmentNotFound


@strawberry.type(
    description="A segment, account, goal, pain, alternative, feature or claim. Nothing is "
    "deleted: entities are retired with a reason; a merged entity's id resolves to its survivor."
)
class Entity:
    id: strawberry.ID
    kind: EntityKind
    name: str = strawberry.field(description="The entity's name; for a CLAIM, its text.")
    description: str | None
    status: str | None = strawberry.field(
        description="FEATURE: idea|planned|building|shipped; CLAIM: draft|live."
    )
    alt_kind: str | None = strawberry.field(
        description="ALTERNATIVE: competitor|workaround|status_quo."
    )
    channel: str | None = strawberry.field(description="CLAIM: where the claim is used.")
    created_at: datetime
    created_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who created it ('system' for seeding and the CLI)."
    )
    created_by: str = renamed(
        "createdById", MEMBER_IDS, description="The id of the member who created it."
    )
    retired_at: datetime | None
    retired_reason: str | None
    segment_id: strawberry.Private[str | None]

    @strawberry.field(description="ACCOUNT: the segment it belongs to.")
    async def segment(self, info: Info[Context, None]) -> Entity | None:
        return await entity_by_id(info.context, self.segment_id)

    @classmethod
    def from_model(cls, e: models.Entity) -> Entity:
        return mirrored(cls, e, created_by_id=e.created_by)


async def entity_by_id(ctx: Context, entity_id: str | None) -> Entity | None:
    """The entity of an id (a merged one's survivor), through the request's loader."""
    if entity_id is None:
        return None
    found = await ctx.entity_loader.load(entity_id)
    return None if found is None else Entity.from_model(found)


async def segment_scope(ctx: Context, segment_id: strawberry.ID | None) -> str | None:
    """The id of the segment a listing is scoped to, once it is known to be a segment."""
    if segment_id is None:
        return None
    segment = await ctx.read(entities.get, str(segment_id), None)
    if segment is None or segment.kind is not EntityKind.SEGMENT:
        raise SegmentNotFound(str(segment_id))
    return str(segment_id)


@described(
    "A page of entities.",
    total_count="How many entities match, over all pages.",
    nodes="The entities of this page, without cursors.",
)
class EntityConnection(Connection[Entity]):
    pass


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


@strawberry.enum(description="The orders of the entities listing.")
class EntityOrder(Enum):
    OLDEST_FIRST = strawberry.enum_value(
        "OLDEST_FIRST", description="Oldest created first (then by id): the default."
    )
    NEWEST_FIRST = strawberry.enum_value(
        "NEWEST_FIRST", description="Newest created first (then by id)."
    )
    NAME = strawberry.enum_value(
        "NAME",
        description="By name, in any case (then by id). A name changed between two pages "
        "moves its entity: it may show twice or not at all.",
    )


DEFAULT_ORDER = EntityOrder.OLDEST_FIRST.name
ORDER_NAMES = tuple(order.name for order in EntityOrder)


def _entity_key(order: EntityOrder) -> Callable[[models.Entity], list[Any]]:
    """The cursor key of an entity in ``order``."""

    def key(row: models.Entity) -> list[Any]:
        # Lower-cased as Cypher's toLower, for the names the model holds.
        parts = [row.name.lower(), row.id] if order is EntityOrder.NAME else creation_key(row)
        return ordered_key(parts, order.name, DEFAULT_ORDER)

    return key


@strawberry.type
class EntityQuery:
    @strawberry.field(description="One entity by id; a merged entity's id gives its survivor.")
    async def entity(
        self, info: Info[Context, None], id: strawberry.ID, as_of: datetime | None = None
    ) -> Entity | None:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        if as_of is None and not ctx.bookmarks:
            # As it is now: read together with the other requests' (a bookmark reads alone).
            found = await coalesce.read_together(ctx.db, entities.get_many).get(str(id))
        else:
            found = await ctx.read(entities.get, str(id), as_of)
        return None if found is None else Entity.from_model(found)

    @strawberry.field(
        description="Entities, oldest first unless orderBy says otherwise, filtered by kind "
        "and a text search."
    )
    async def entities(
        self,
        info: Info[Context, None],
        kind: EntityKind | None = None,
        search: str | None = None,
        as_of: datetime | None = None,
        include_retired: bool = False,
        first: int | None = None,
        after: str | None = None,
        order_by: Annotated[
            EntityOrder,
            strawberry.argument(
                description="The order of the entities; a cursor continues only in the "
                "order it was made in."
            ),
        ] = EntityOrder.OLDEST_FIRST,
    ) -> EntityConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit, pinned, cursor_key = window(ctx, first, 50, as_of, after)
        after_key = key_in_order(cursor_key, order_by.name, DEFAULT_ORDER, ORDER_NAMES, 2)
        if after_key is not None and order_by is not EntityOrder.NAME:
            after_key = time_and_id(after_key)
        rows, total = await ctx.read(
            entities.list_page,
            kind=kind,
            search=search,
            as_of=pinned,
            include_retired=include_retired,
            after=after_key,
            limit=limit + 1,
            order=order_by.name,
        )
        return EntityConnection.of(
            rows,
            limit,
            pinned,
            key=_entity_key(order_by),
            node=Entity.from_model,
            total_count=total,
        )


@strawberry.type
class EntityMutation:
    @strawberry.mutation(description="Create an entity; the same idempotencyKey returns the first.")
    async def create_entity(self, info: Info[Context, None], input: CreateEntityInput) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        fields = dataclasses.asdict(input)
        # An empty segment id is no segment, as the model has always read it.
        fields["segment_id"] = input.segment_id or None
        data = validated(lambda: models.EntityCreate(**fields))
        created, _ = await ctx.write(entities.create, actor, data, ctx.now)
        return Entity.from_model(created)

    @strawberry.mutation(description="Change an entity's name, description, status, ...")
    async def update_entity(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateEntityInput
    ) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        data = validated(lambda: models.EntityUpdate(**dataclasses.asdict(input)))
        updated = await ctx.write(entities.update, actor, str(id), data, ctx.now)
        return Entity.from_model(updated)

    @strawberry.mutation(
        description="Retire an entity (the one way to remove one), with a reason. A SEGMENT "
        "only by facilitators and admins."
    )
    async def retire_entity(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Entity:
        retired = await info.context.write_with_reason(entities.retire, str(id), reason)
        return Entity.from_model(retired)

    @strawberry.mutation(
        description="Bring a retired entity back, with a reason (a SEGMENT only by facilitators "
        "and admins); the audit log keeps the retirement and its undoing. An entity that is "
        "not retired is answered as it is."
    )
    async def unretire_entity(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Entity:
        restored = await info.context.write_with_reason(entities.unretire, str(id), reason)
        return Entity.from_model(restored)
