"""Checking a mutation's input: pydantic validation errors, reasons and idempotency keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from schema.errors import InvalidIdempotencyKey, InvalidInput, InvalidReason

T = TypeVar("T")


def validated(build: Callable[[], T]) -> T:
    """Build a pydantic input model, turning validation errors into BAD_USER_INPUT."""
    try:
        return build()
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors()
        ]
        raise InvalidInput(problems) from None


def check_reason(reason: str) -> None:
    """A retirement, retraction or redaction needs a reason of 1-2000 characters."""
    if not reason.strip() or len(reason) > 2000 or "\x00" in reason:
        raise InvalidReason(reason)


def check_idempotency_key(key: str | None) -> None:
    """A client's idempotency key, when sent, is 1-200 characters."""
    if key is not None and not 0 < len(key) <= 200:
        raise InvalidIdempotencyKey(key)
