"""The resolved fields the compiled path knows, each for a whole level of objects at once.

Each does for a list of parents what the field's resolver does for one, through the same
loaders with the same keys, so the reads (and their round trips) are the resolvers' own.
Where a resolver would fail (an entity it asserts exists is missing), ``Unknown`` hands
the whole answer back to graphql-core, which then reports the error as it always has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from operator import attrgetter
from typing import Any

from strawberry.types.base import get_object_definition

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.entities import Entity
from api.graphql.members import Member
from api.graphql.nodes import Bearing, Evidence, Proposition, evidence_key, evidence_page
from api.graphql.pagination import Page
from graph.kit.cursors import encode_cursor


class Unknown(Exception):
    """The compiled path cannot give this answer exactly; graphql-core completes it."""


Names = frozenset[str]
Resolved = Callable[[Context, list[Any], dict[str, Any], Names], Awaitable[list[Any]] | list[Any]]
"""(context, parents, the field's arguments, the names selected below it) -> values."""


def _nodes(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> list[Any]:
    return [[edge.node for edge in parent.edges] for parent in parents]


async def _entities(ctx: Context, ids: list[str]) -> list[_Entity]:
    entities = []
    for found in await ctx.entity_loader.load_many(ids):
        if found is None:
            raise Unknown  # the resolver asserts the entity exists
        entities.append(_Entity(found, None))
    return entities


async def _subject(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    return await _entities(ctx, [p.subject_id for p in parents])


async def _object(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    return await _entities(ctx, [p.object_id for p in parents])


async def _text(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    names = {}
    ids = sorted({i for p in parents for i in (p.subject_id, p.object_id)})
    for entity_id, found in zip(ids, await ctx.entity_loader.load_many(ids), strict=True):
        names[entity_id] = found.name if found else "?"
    return [" ".join([names[p.subject_id], p.relation.value, names[p.object_id]]) for p in parents]


async def _optional_entities(ctx: Context, ids: list[str | None]) -> list[_Entity | None]:
    wanted = [i for i in ids if i is not None]
    found = dict(zip(wanted, await ctx.entity_loader.load_many(wanted), strict=True))
    return [None if i is None or found[i] is None else _Entity(found[i], None) for i in ids]


async def _account(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    return await _optional_entities(ctx, [p.account_id for p in parents])


async def _segment(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    return await _optional_entities(ctx, [p.segment_id for p in parents])


async def _recorded_by(
    ctx: Context, parents: list[Any], args: dict[str, Any], below: Names
) -> list[Any]:
    found = await loaders.member_loader(ctx).load_many([str(p.recorded_by_id) for p in parents])
    return [None if m is None else Member.from_model(m) for m in found]


async def _evidence(ctx: Context, parents: list[Any], args: dict[str, Any], below: Names) -> Any:
    pages = [
        evidence_page(
            ctx,
            p,
            args["asOf"],
            args["includeRetracted"],
            args["first"],
            args["after"],
            selected=below,
        )
        for p in parents
    ]
    found = await loaders.evidence_page_loader(ctx).load_many([page.key for page in pages])
    return [
        _EvidencePage(items, total, page.limit, page.as_of)
        for page, (items, total) in zip(pages, found, strict=True)
    ]


def read_attribute(objects: list[Any], name: str) -> list[Any]:
    """``[getattr(o, name) for o in objects]``; for nodes of one class read from their domain
    models, the models' own attribute read directly (one C-level getter per column instead of
    ``__getattr__`` per object: a page of 1,300 evidence items reads ~6,000 such values)."""
    cls = type(objects[0]) if objects else None
    if (
        cls is not None
        and issubclass(cls, _Model)
        and not hasattr(cls, name)
        and all(type(o) is cls for o in objects)
    ):
        return list(map(attrgetter("_model." + name), objects))
    return [getattr(o, name) for o in objects]


class _Model:
    """A node read from its domain model as ``from_model`` would fill it, a field at a time
    and only the fields asked for; the fields named otherwise are properties."""

    __slots__ = ("_model", "as_of")

    def __init__(self, model: Any, as_of: datetime | None) -> None:
        self._model = model
        self.as_of = as_of

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class _Evidence(_Model):
    """``Evidence.from_model(model, as_of)``."""

    __slots__ = ()

    @property
    def recorded_by_id(self) -> str:
        return self._model.recorded_by  # type: ignore[no-any-return]

    @property
    def bears(self) -> list[_Model]:
        return [_Model(bearing, self.as_of) for bearing in self._model.bears]


class _Proposition(_Model):
    """``Proposition.from_model(model, as_of)``."""

    __slots__ = ()

    @property
    def created_by_id(self) -> str:
        return self._model.created_by  # type: ignore[no-any-return]


class _Entity(_Model):
    """``Entity.from_model(model)``."""

    __slots__ = ()

    @property
    def created_by_id(self) -> str:
        return self._model.created_by  # type: ignore[no-any-return]


class _Edge:
    __slots__ = ("_as_of", "node")

    def __init__(self, node: _Evidence, as_of: datetime) -> None:
        self.node, self._as_of = node, as_of

    @property
    def cursor(self) -> str:
        # Made only when asked for: most reads select no cursor of their nested pages.
        return encode_cursor(self._as_of, evidence_key(self.node._model))


class _PageInfo:
    __slots__ = ("_edges", "as_of", "has_next_page")

    def __init__(self, edges: list[_Edge], has_next_page: bool, as_of: datetime) -> None:
        self._edges, self.has_next_page, self.as_of = edges, has_next_page, as_of

    @property
    def end_cursor(self) -> str | None:
        return self._edges[-1].cursor if self._edges else None


class _EvidencePage:
    """``EvidenceConnection.of_evidence(items, total, limit, as_of)``, its cursors made when
    read."""

    __slots__ = ("edges", "page_info", "total_count")

    def __init__(self, items: list[Any], total: int, limit: int, as_of: datetime) -> None:
        self.edges = [_Edge(_Evidence(item, as_of), as_of) for item in items[:limit]]
        self.page_info = _PageInfo(self.edges, len(items) > limit, as_of)
        self.total_count = total


async def _proposition(
    ctx: Context, parents: list[Any], args: dict[str, Any], below: Names
) -> list[Any]:
    found = await ctx.proposition_loader.load_many([p.proposition_id for p in parents])
    if any(p is None for p in found):
        raise Unknown  # the resolver refuses it: PropositionNotFound
    return [_Proposition(p, parent.as_of) for p, parent in zip(found, parents, strict=True)]


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
