"""The resolved fields the compiled path knows, each for a whole level of objects at once.

Each does for a list of parents what the field's resolver does for one, through the same
loaders with the same keys, so the reads (and their round trips) are the resolvers' own.
Where a resolver would fail (an entity it asserts exists is missing), ``Unknown`` hands
the whole answer back to graphql-core, which then reports the error as it always has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types.base import get_object_definition

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.entities import Entity
from api.graphql.members import Member
from api.graphql.nodes import Bearing, Evidence, EvidenceConnection, Proposition, evidence_page
from api.graphql.pagination import Page


class Unknown(Exception):
    """The compiled path cannot give this answer exactly; graphql-core completes it."""


Resolved = Callable[[Context, list[Any], dict[str, Any], bool], Awaitable[list[Any]] | list[Any]]
"""(context, parents, the field's arguments, whether ``bears`` is selected below) -> values."""


def _nodes(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> list[Any]:
    return [[edge.node for edge in parent.edges] for parent in parents]


async def _entities(ctx: Context, ids: list[str]) -> list[Entity]:
    entities = []
    for found in await ctx.entity_loader.load_many(ids):
        if found is None:
            raise Unknown  # the resolver asserts the entity exists
        entities.append(Entity.from_model(found))
    return entities


async def _subject(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    return await _entities(ctx, [p.subject_id for p in parents])


async def _object(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    return await _entities(ctx, [p.object_id for p in parents])


async def _text(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    names = {}
    ids = sorted({i for p in parents for i in (p.subject_id, p.object_id)})
    for entity_id, found in zip(ids, await ctx.entity_loader.load_many(ids), strict=True):
        names[entity_id] = found.name if found else "?"
    return [" ".join([names[p.subject_id], p.relation.value, names[p.object_id]]) for p in parents]


async def _optional_entities(ctx: Context, ids: list[str | None]) -> list[Entity | None]:
    wanted = [i for i in ids if i is not None]
    found = dict(zip(wanted, await ctx.entity_loader.load_many(wanted), strict=True))
    return [
        None if i is None or found[i] is None else Entity.from_model(found[i])  # type: ignore[arg-type]
        for i in ids
    ]


async def _account(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    return await _optional_entities(ctx, [p.account_id for p in parents])


async def _segment(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    return await _optional_entities(ctx, [p.segment_id for p in parents])


async def _recorded_by(
    ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool
) -> list[Any]:
    found = await loaders.member_loader(ctx).load_many([str(p.recorded_by_id) for p in parents])
    return [None if m is None else Member.from_model(m) for m in found]


async def _evidence(ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool) -> Any:
    pages = [
        evidence_page(
            ctx,
            p,
            args["asOf"],
            args["includeRetracted"],
            args["first"],
            args["after"],
            bears=bears,
        )
        for p in parents
    ]
    found = await loaders.evidence_page_loader(ctx).load_many([page.key for page in pages])
    return [
        EvidenceConnection.of_evidence(items, total, page.limit, page.as_of)
        for page, (items, total) in zip(pages, found, strict=True)
    ]


async def _proposition(
    ctx: Context, parents: list[Any], args: dict[str, Any], bears: bool
) -> list[Any]:
    found = await ctx.proposition_loader.load_many([p.proposition_id for p in parents])
    if any(p is None for p in found):
        raise Unknown  # the resolver refuses it: PropositionNotFound
    return [
        Proposition.from_model(p, parent.as_of)  # type: ignore[arg-type]
        for p, parent in zip(found, parents, strict=True)
    ]


def _resolver(cls: type, name: str) -> int:
    field = get_object_definition(cls, strict=True).get_field(name)
    assert field is not None and field.base_resolver is not None, (cls, name)
    return id(field.base_resolver.wrapped_func)


# Keyed by the resolver's own function (its id): every listing's ``nodes`` shares Page's.
RESOLVED: dict[int, Resolved] = {
    _resolver(Page, "nodes"): _nodes,
    _resolver(Proposition, "subject"): _subject,
    _resolver(Proposition, "object_"): _object,
    _resolver(Proposition, "text"): _text,
    _resolver(Proposition, "evidence"): _evidence,
    _resolver(Bearing, "proposition"): _proposition,
    _resolver(Evidence, "recorded_by"): _recorded_by,
    _resolver(Evidence, "account"): _account,
    _resolver(Entity, "segment"): _segment,
}
