"""``mirror`` for the types a nested read builds by the thousand.

``shapes.mirror`` works out a type's fields (and resolves their GraphQL types) on every
call: on a page of 2,000 evidence items with their bearings and entities, that was a fifth
of the request. ``mirrored`` works them out once per type and copies the same values.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, TypeVar, cast

from strawberry.types.base import StrawberryList, get_object_definition, has_object_definition

from api.graphql.shapes import mirror

T = TypeVar("T")


@functools.cache
def _fields_of(cls: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """The fields ``mirror`` fills of a type, and those of them that are lists of GraphQL
    objects (resolved fields are left to their resolvers)."""
    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    nested = frozenset(
        f.python_name
        for f in get_object_definition(cls, strict=True).fields
        if f.python_name in names
        and isinstance(f.type, StrawberryList)
        and has_object_definition(f.type.of_type)
    )
    return names, nested


def mirrored(cls: type[T], source: object, **values: Any) -> T:
    """What ``mirror(cls, source, **values)`` gives; a list of GraphQL objects not given in
    ``values`` is left to ``mirror`` itself."""
    names, nested = _fields_of(cast(type, cls))
    if not nested <= values.keys():
        return mirror(cls, source, **values)
    taken: dict[str, Any] = {}
    for name in names:
        if name in values or not hasattr(source, name):
            continue
        value = getattr(source, name)
        if not callable(value):
            taken[name] = value
    return cls(**taken, **values)
