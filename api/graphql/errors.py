"""Turning domain errors and pydantic validation errors into GraphQL errors with codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from schema.errors import BadInput

T = TypeVar("T")


def validated(build: Callable[[], T]) -> T:
    """Build a pydantic input model, turning validation errors into BAD_USER_INPUT."""
    try:
        return build()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors()
        )
        raise BadInput(f"invalid input: {problems}") from None
