"""GraphQL object types filled from the domain's shapes: ``mirror`` copies same-named values
into a hand-written type; ``row_type`` derives a type from a pydantic model (each field's type
and description, the type's description) and ``Row.from_model`` builds it from an instance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, Self, TypeVar, cast

import strawberry
from pydantic import BaseModel
from strawberry.experimental.pydantic import type as pydantic_type
from strawberry.types.base import StrawberryList, get_object_definition, has_object_definition

T = TypeVar("T")


def mirror(cls: type[T], source: object, **values: Any) -> T:
    """An instance of the strawberry type ``cls`` whose fields take ``source``'s values.

    Each field (a private one too) takes the attribute of the same name of ``source``, a
    domain model; ``values`` gives the fields named otherwise or computed, and those the
    model does not hold. A list of models becomes a list of the field's own type, mirrored
    in turn. Resolved fields are left to their resolvers.
    """
    field_types = {f.python_name: f.type for f in get_object_definition(cls, strict=True).fields}
    taken: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not field.init or name in values or not hasattr(source, name):
            continue
        value = getattr(source, name)
        if not callable(value):
            taken[name] = _mirrored(value, field_types.get(name))
    return cls(**taken, **values)


def _mirrored(value: Any, field_type: Any) -> Any:
    if isinstance(field_type, StrawberryList) and has_object_definition(field_type.of_type):
        return [mirror(field_type.of_type, item) for item in value]
    return value


SOURCE = "source"
"""Field metadata: the model attribute (a dotted path) a field reads, when not its own name."""
CONVERT = "convert"
"""Field metadata: what turns the model's value into the field's GraphQL value."""


def row_type(
    model: type[BaseModel], *, description: str | None = None, all_fields: bool = False
) -> Callable[[type[T]], type[T]]:
    """Derive a strawberry type from ``model``: for the fields the class declares, in the
    class's order, or for every field of the model when the class declares none or
    ``all_fields`` is set (the declared ones then only retype a field, e.g. as an ``ID``).

    The type's description is ``description``, else the model's docstring. strawberry puts
    the fields the model does not hold before the model's; where the class names the fields,
    they are put back in the order it declares.
    """
    text = description or " ".join((model.__doc__ or "").split())

    def wrap(cls: type[T]) -> type[T]:
        order = list(cls.__dict__.get("__annotations__", {}))
        every = all_fields or not order
        derived = pydantic_type(model=model, description=text, all_fields=every)(cls)
        if not every:
            definition = get_object_definition(derived, strict=True)
            definition.fields.sort(key=lambda field: order.index(field.python_name))
        return cast("type[T]", derived)

    return wrap


MEMBER_IDS = (
    "a field ending in `By` is the Member, one ending in `ById` the member's id "
    "(Belief.statedById, Evidence.recordedById)"
)
"""Why a member id named ``createdBy`` or ``statedBy`` was renamed: one name for one figure."""


def renamed_reason(new_name: str, why: str) -> str:
    """The ``@deprecated(reason:)`` of a field's old name."""
    return f"Renamed `{new_name}`: {why}."


def renamed(new_name: str, why: str, **options: Any) -> Any:
    """The old name of a field now called ``new_name``: still answered, marked deprecated."""
    return strawberry.field(deprecation_reason=renamed_reason(new_name, why), **options)


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
