"""GraphQL object types filled from the domain's shapes, each field from the same-named value."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

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
