"""``CompilingExecutor``: graphql-core's executor, completing known typed reads column-wise.

A root read of ``ROOTS`` is resolved as always (its resolver checks the token, the page size
and the cursor, and reads the page). Its value is then completed by ``plan``: the selection
under it, collected by graphql-core itself (fragments, variables, ``@skip``/``@include``,
aliases, ``__typename``), made into a tree of plain attribute reads, resolved fields the
compiled path knows (``resolved.RESOLVED``) and leaf coercions. A selection holding
anything else, or a value that would end in an error, is completed by graphql-core from the
same resolved value, so the answer, its errors and their order are graphql-core's own.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

from api.graphql.compiled.resolved import RESOLVED, Resolved, Unknown, read_attribute
from api.graphql.nodes import names_in

ROOTS = frozenset(
    {"propositions", "proposition", "entity", "entities", "evidence", "evidenceItems"}
)
"""The reads completed by the compiled path when their selection allows."""

STRAWBERRY_FIELD = "strawberry-definition"  # where strawberry keeps a field's definition


@dataclass(frozen=True, slots=True)
class Leaf:
    non_null: bool
    type: GraphQLLeafType


@dataclass(frozen=True, slots=True)
class ListOf:
    non_null: bool
    item: Shape


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # the response name (an alias, or the field's name)
    name: str  # the field's GraphQL name
    attribute: str | None  # the attribute a plain field reads
    resolved: Resolved | None  # what a resolved field calls instead of its resolver
    args: dict[str, Any]
    shape: Shape | None  # None for __typename
    below: frozenset[str] = frozenset()  # a resolved field's: the names selected under it


@dataclass(frozen=True, slots=True)
class Object:
    non_null: bool
    type_name: str
    keys: tuple[str, ...]
    fields: tuple[Field, ...]


Shape = Leaf | ListOf | Object


class CompilingExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._given_back: set[int] = set()  # root fields graphql-core completes
        # An extension with a ``resolve`` hook wraps every field's resolver: only graphql-core
        # calls it for each field, so no read is compiled while one is installed.
        middleware = self.middleware_manager
        self._compiles = middleware is None or not middleware.middlewares
        self._fragments = {name: f.definition for name, f in self.fragments.items()}

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if (
            path.prev is None
            and self._compiles
            and info.field_name in ROOTS
            and info.parent_type is self.schema.query_type
            and id(field_details_list) not in self._given_back
            and result is not None
            and not isinstance(result, Exception)
        ):
            shape = self._plan(return_type, field_details_list)
            if shape is not None:
                return self._complete_compiled(
                    shape, return_type, field_details_list, info, path, result, position_context
                )
            self._given_back.add(id(field_details_list))
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def compiled(self, root: str, taken: bool) -> None:
        """Called once per compiled root read: ``taken`` False when graphql-core completed it."""

    async def _complete_compiled(
        self,
        shape: Shape,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        try:
            [value] = await self._column([result], shape)
        except Exception:
            self._given_back.add(id(field_details_list))
            self.compiled(info.field_name, taken=False)
            completed = super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            return await completed if inspect.isawaitable(completed) else completed
        self.compiled(info.field_name, taken=True)
        return value

    # --- the plan ---------------------------------------------------------------------------

    def _plan(self, type_: GraphQLOutputType, fields: FieldDetailsList) -> Shape | None:
        """The shape completing ``fields`` of ``type_``; None where the compiled path does not
        know a field, a type or a directive (``@defer``) under it."""
        non_null = is_non_null_type(type_)
        inner = type_.of_type if non_null else type_  # type: ignore[union-attr]
        if is_list_type(inner):
            item = self._plan(inner.of_type, fields)
            return None if item is None else ListOf(non_null, item)
        if is_leaf_type(inner):
            return Leaf(non_null, inner)
        if not is_object_type(inner) or inner.is_type_of is not None:
            return None  # interfaces and unions: graphql-core picks the runtime type
        return self._object(non_null, inner, fields)

    def _object(
        self, non_null: bool, type_: GraphQLObjectType, fields: FieldDetailsList
    ) -> Object | None:
        grouped, new_defer_usages, _ = self.collect_subfields(type_, fields)
        if new_defer_usages:
            return None
        planned: list[Field] = []
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
                return None
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                planned.append(Field(key, name, None, None, {}, None))
                continue
            field_def = type_.fields.get(name)
            definition = None if field_def is None else field_def.extensions.get(STRAWBERRY_FIELD)
            if field_def is None or not isinstance(definition, StrawberryField):
                return None
            shape = self._plan(field_def.type, details)
            if shape is None:
                return None
            if definition.is_basic_field:
                planned.append(Field(key, name, definition.python_name, None, {}, shape))
                continue
            resolver = definition.base_resolver
            resolved = None if resolver is None else RESOLVED.get(id(resolver.wrapped_func))
            if resolved is None:
                return None
            try:
                args = get_argument_values(
                    field_def, node, self.variable_values, None, self.hide_suggestions
                )
            except Exception:
                return None
            below: set[str] = set()
            for detail in details:
                below |= names_in(detail.node.selection_set, self._fragments)
            planned.append(Field(key, name, None, resolved, args, shape, frozenset(below)))
        return Object(non_null, type_.name, tuple(f.key for f in planned), tuple(planned))

    # --- completing a column of values --------------------------------------------------------

    async def _column(self, values: list[Any], shape: Shape) -> list[Any]:
        if isinstance(shape, Leaf):
            return _leaves(values, shape)
        if isinstance(shape, ListOf):
            return await self._lists(values, shape)
        return await self._objects(values, shape)

    async def _lists(self, values: list[Any], shape: ListOf) -> list[Any]:
        flat: list[Any] = []
        lengths: list[int | None] = []
        for value in values:
            if value is None:
                if shape.non_null:
                    raise Unknown
                lengths.append(None)
            elif isinstance(value, list | tuple):
                flat.extend(value)
                lengths.append(len(value))
            else:
                raise Unknown  # another iterable: graphql-core reads it (once)
        done = await self._column(flat, shape.item)
        out: list[Any] = []
        at = 0
        for length in lengths:
            if length is None:
                out.append(None)
            else:
                out.append(done[at : at + length])
                at += length
        return out

    async def _objects(self, values: list[Any], shape: Object) -> list[Any]:
        present = [value for value in values if value is not None]
        if len(present) < len(values) and shape.non_null:
            raise Unknown
        rows = await self._rows(present, shape)
        if len(present) == len(values):
            return rows
        filled = iter(rows)
        return [None if value is None else next(filled) for value in values]

    async def _rows(self, objects: list[Any], shape: Object) -> list[dict[str, Any]]:
        if not objects:
            return []
        columns: list[list[Any]] = []
        pending: list[tuple[list[Any], Any]] = []
        for field in shape.fields:
            if field.shape is None:
                columns.append([shape.type_name] * len(objects))
            elif field.attribute is not None:
                raw = read_attribute(objects, field.attribute)
                if isinstance(field.shape, Leaf):
                    columns.append(_leaves(raw, field.shape))
                else:
                    column: list[Any] = []
                    columns.append(column)
                    pending.append((column, self._column(raw, field.shape)))
            else:
                column = []
                columns.append(column)
                pending.append((column, self._resolve(objects, field)))
        if len(pending) == 1:
            column, work = pending[0]
            column.extend(await work)
        elif pending:
            # Together, so the loaders of one level read in one batch each.
            done = await asyncio.gather(*(work for _, work in pending), return_exceptions=True)
            for (column, _), values in zip(pending, done, strict=True):
                if isinstance(values, BaseException):
                    raise values
                column.extend(values)
        keys = shape.keys
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    async def _resolve(self, objects: list[Any], field: Field) -> list[Any]:
        assert field.resolved is not None and field.shape is not None
        values = field.resolved(self.context_value, objects, field.args, field.below)
        if inspect.isawaitable(values):
            values = await values
        return await self._column(values, field.shape)


# The Python type each scalar's coercion hands back unchanged (graphql-core's
# ``serialize_string``, ``serialize_id`` and ``serialize_boolean`` return such a value as it
# is): most leaves of a big read are ids and strings, and a call per value costs more than
# the rest of their completion.
_UNCHANGED: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _leaves(values: list[Any], shape: Leaf) -> list[Any]:
    """Each value coerced as graphql-core's ``complete_leaf_value`` coerces it."""
    coerce = shape.type.coerce_output_value
    unchanged = _UNCHANGED.get(shape.type)
    out: list[Any] = []
    for value in values:
        if type(value) is unchanged:
            out.append(value)
            continue
        if value is None:
            if shape.non_null:
                raise Unknown
            out.append(None)
            continue
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Unknown
        out.append(coerced)
    return out
