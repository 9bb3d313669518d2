"""Checking a mutation's input: pydantic validation errors and bad reasons become BadInput."""

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


def check_reason(reason: str) -> None:
    """A retirement, retraction or redaction needs a reason of 1-2000 characters."""
    if not reason.strip() or len(reason) > 2000 or "\x00" in reason:
        raise BadInput("a reason of 1-2000 characters is needed")
