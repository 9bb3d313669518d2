"""GraphQL types derived from pydantic models: the model gives each field's type and
description and the type's description (its docstring); the class names the fields the
API shows, in their GraphQL order, and adds the few the model does not hold.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Self, TypeVar, cast

import strawberry
from pydantic import BaseModel
from strawberry.experimental.pydantic import type as pydantic_type
from strawberry.types.base import get_object_definition

T = TypeVar("T")

SOURCE = "source"
"""Field metadata: the model attribute (a dotted path) a field reads, when not its own name."""
CONVERT = "convert"
"""Field metadata: what turns the model's value into the field's GraphQL value."""


def row_type(model: type[BaseModel]) -> Callable[[type[T]], type[T]]:
    """Derive a strawberry type from ``model``: for the fields the class declares, in the
    class's order, or for every field of the model when the class declares none.

    strawberry puts the fields the model does not hold before the model's; the SDL keeps
    the order the class declares, so the fields are put back in that order.
    """
    description = " ".join((model.__doc__ or "").split())

    def wrap(cls: type[T]) -> type[T]:
        order = list(cls.__dict__.get("__annotations__", {}))
        derived = pydantic_type(model=model, description=description, all_fields=not order)(cls)
        if order:
            definition = get_object_definition(derived, strict=True)
            definition.fields.sort(key=lambda field: order.index(field.python_name))
        return cast("type[T]", derived)

    return wrap


def read(source: str, **options: Any) -> Any:
    """A field the model holds under another name or deeper down (``"entity.created_by"``)."""
    return strawberry.field(metadata={SOURCE: source}, **options)


def converted(convert: Callable[[Any], Any], **options: Any) -> Any:
    """A field whose model value becomes a GraphQL type that is not derived from its model."""
    return strawberry.field(metadata={CONVERT: convert}, **options)


class Row:
    """A derived type that builds itself from an instance of its model."""

    @classmethod
    def from_model(cls, model: BaseModel, **extra: Any) -> Self:
        """The GraphQL value of ``model``; ``extra`` gives the fields the model does not hold
        (the thresholds, the time asked for)."""
        values: dict[str, Any] = {}
        for field in get_object_definition(cls, strict=True).fields:
            name = field.python_name
            if name in extra:
                values[name] = extra[name]
                continue
            value = attrgetter(field.metadata.get(SOURCE, name))(model)
            convert = field.metadata.get(CONVERT)
            values[name] = convert(value) if convert is not None else _graphql_value(value)
        return cls(**values)


def _graphql_value(value: Any) -> Any:
    """Nested models become their derived types; tuples become lists."""
    if isinstance(value, tuple):
        return [_graphql_value(item) for item in value]
    derived = getattr(type(value), "_strawberry_type", None)
    if isinstance(value, BaseModel) and derived is not None:
        return derived.from_model(value)
    return value
