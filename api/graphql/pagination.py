"""One shape for every paged GraphQL listing: ``Connection[T]`` of ``Edge[T]``, with ``PageInfo``.

A listing's cursor pins the as-of time of its first page (``pin_listing``), so that every
later page is computed as of that same time; ``Page.of`` builds a page from the rows read,
``Connection.of_computed`` one from a listing computed whole (the divergence queries).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, Protocol, Self, TypeVar

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

from api.graphql.context import Context
from graph.kit.cursors import check_page_size, decode_cursor, encode_cursor, time_and_id
from schema.errors import CursorOrderMismatch, InvalidCursor, InvalidSearch, InvalidTimeRange

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")
TypeT = TypeVar("TypeT", bound=type)


@strawberry.type(description="Where a page ends, and the as-of time every page of it uses.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    as_of: datetime = strawberry.field(
        description="The time the whole listing is computed as of; pinned by the cursor."
    )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Page(Generic[NodeT]):
    """A page of a listing that does not count its rows; ``Connection`` is one that does."""

    # A Sequence, so that a listing may name a described subclass of Edge here.
    edges: Sequence[Edge[NodeT]]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @classmethod
    def of(
        cls,
        rows: Sequence[RowT],
        limit: int,
        as_of: datetime,
        *,
        key: Callable[[RowT], list[Any]],
        node: Callable[[RowT], NodeT],
        **fields: Any,
    ) -> Self:
        """The page of the first ``limit`` rows, each row's cursor made of its sort ``key``.

        The query reads one row more than the page holds: that row says a next page exists.
        ``fields`` gives the listing's other fields (``total_count``, ...).
        """
        edges = [
            Edge(cursor=encode_cursor(as_of, key(row)), node=node(row)) for row in rows[:limit]
        ]
        page_info = PageInfo(
            has_next_page=len(rows) > limit,
            end_cursor=edges[-1].cursor if edges else None,
            as_of=as_of,
        )
        return cls(edges=edges, page_info=page_info, **fields)


@strawberry.type
class Connection(Page[NodeT]):
    total_count: int

    @classmethod
    def of_computed(
        cls,
        rows: Sequence[RowT],
        window: Window,
        *,
        listing: str,
        identity: Callable[[RowT], list[str]],
        node: Callable[[RowT], NodeT],
        **fields: Any,
    ) -> Self:
        """The page ``window`` asks for of ``rows``, a listing computed whole, in its order.

        As of the pinned time the listing stays the same from page to page, so a row's place
        would do as a cursor; the cursor also names the listing (another listing's cursor is
        refused) and the row (``identity``), and a page continues after that row, or after
        its place should a merge between pages have folded the row into another.
        """
        start = 0 if window.after is None else _continue_at(rows, window.after, listing, identity)
        numbered = list(enumerate(rows))[start:]
        return cls.of(
            numbered,
            window.limit,
            window.as_of,
            key=lambda item: [listing, str(item[0]), *identity(item[1])],
            node=lambda item: node(item[1]),
            total_count=len(rows),
            **fields,
        )


def _continue_at(
    rows: Sequence[RowT], after: list[str], listing: str, identity: Callable[[RowT], list[str]]
) -> int:
    """Where the page after the row named by a cursor key starts."""
    try:
        name, place, *row = after
        index = int(place)
    except ValueError as error:
        raise InvalidCursor(after) from error
    if name != listing or index < 0:
        raise InvalidCursor(after)
    for at, candidate in enumerate(rows):
        if identity(candidate) == row:
            return at + 1
    return index + 1


def described(description: str | None = None, **fields: str) -> Callable[[TypeT], TypeT]:
    """A strawberry type over a generic shape (``Connection``, ``Edge``), in its own words.

    strawberry names ``class EntityConnection(Connection[Entity])`` after the class; the
    generic shapes carry no descriptions, so each listing gives its own for the type and for
    any of its fields. ``nodes``, the shortcut over the edges, stays the last field, after
    those a listing adds.
    """

    def decorate(cls: TypeT) -> TypeT:
        typed = strawberry.type(cls, description=description)
        definition = get_object_definition(typed, strict=True)
        unknown = set(fields) - {field.python_name for field in definition.fields}
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        own = [
            _with_description(field, fields.get(field.python_name)) for field in definition.fields
        ]
        definition.fields = sorted(own, key=lambda field: field.python_name == "nodes")
        return typed

    return decorate


def _with_description(field: StrawberryField, description: str | None) -> StrawberryField:
    # A copy: the generic's own field objects are shared by every listing.
    if description is None:
        return field
    described_field = copy.copy(field)
    described_field.description = description
    return described_field


def pin_listing(
    as_of: datetime | None, after: str | None, now: datetime
) -> tuple[datetime, list[str] | None]:
    """A listing's as-of time and the sort key of the row it continues after.

    Paging on, the cursor's as-of wins, so every page is computed as of the first page's
    time; else the as-of asked for, else now. The key comes back as strings, whatever a
    forged cursor holds, so comparing or parsing it fails as bad input at worst.
    """
    if after is None:
        return as_of or now, None
    cursor = decode_cursor(after)
    return cursor.as_of, [str(part) for part in cursor.after]


class Window(NamedTuple):
    """The page a listing is asked for."""

    limit: int  # rows on the page
    as_of: datetime  # pinned by the cursor when paging on
    after: list[str] | None  # the sort key of the row the page continues after


def window(
    ctx: Context, first: int | None, default: int, as_of: datetime | None, after: str | None
) -> Window:
    """The page asked for: ``first`` rows (``default`` when not given, at most the configured
    page size), as of the time its cursor pins, after the row its cursor names."""
    limit = check_page_size(first, default, ctx.settings.max_page_size)
    return Window(limit, *pin_listing(as_of, after, ctx.now))


def time_position(key: list[str] | None) -> tuple[datetime, str] | None:
    """The (time, id) a listing sorted by a time then an id continues after."""
    if key is None:
        return None
    at, row_id = time_and_id(key)
    return datetime.fromisoformat(at), row_id


class Created(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


def creation_key(row: Created) -> list[Any]:
    """The cursor key of a listing sorted by creation time, then id."""
    return [row.created_at.isoformat(), row.id]


def ordered_key(key: list[Any], order: str, default: str) -> list[Any]:
    """The cursor key of a row of a listing sorted in ``order``: the sort key itself in the
    listing's ``default`` order (the cursor every page had before a listing had orders),
    else the order's name and then the sort key, so that a cursor names its order."""
    return key if order == default else [order, *key]


def key_in_order(
    key: list[str] | None, order: str, default: str, orders: Sequence[str], width: int
) -> list[str] | None:
    """The sort key (``width`` parts) a page in ``order`` continues after, from the key a
    cursor holds (``ordered_key``); a cursor made under another of the listing's ``orders``
    is refused, as it would repeat or skip rows here."""
    if key is None:
        return None
    if len(key) == width:
        made, rest = default, key
    elif len(key) == width + 1 and key[0] in orders:
        made, rest = key[0], key[1:]
    else:
        raise InvalidCursor(key)
    if made != order:
        raise CursorOrderMismatch(made, order)
    return rest


MAX_SEARCH = 200
"""The longest ``search`` a listing takes: a substring that long is a paste gone wrong."""


def search_needle(search: str | None) -> str | None:
    """What a listing's ``search`` matches, lower-cased (the Cypher lower-cases the text):
    None, for no filter, when absent or blank (as ``entities(search:)`` has always read a
    blank search box); refused when too long."""
    if search is None:
        return None
    if len(search) > MAX_SEARCH or "\x00" in search:
        raise InvalidSearch(search, MAX_SEARCH)
    return search.strip().lower() or None


def time_range(
    start: datetime | None, end: datetime | None, start_name: str, end_name: str
) -> tuple[datetime | None, datetime | None]:
    """A half-open range ``[start, end)``, in UTC (stored times compare by their instant
    only within one zone form); refused when the end is not after the start."""
    if start is not None and end is not None and end <= start:
        raise InvalidTimeRange(start_name, end_name)
    return (
        None if start is None else start.astimezone(UTC),
        None if end is None else end.astimezone(UTC),
    )
