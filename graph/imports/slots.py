"""How many imports each member runs at once: each holds a spooled file, a validation and a
stream of writes, so one member cannot take the server's disk, memory and database for
themselves by sending many at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from schema.imports import TooManyImports

_RUNNING: dict[str, int] = {}


@contextlib.contextmanager
def held(member_id: str, limit: int) -> Iterator[None]:
    """Count one import of ``member_id`` for the block; refuse it beyond ``limit``."""
    running = _RUNNING.get(member_id, 0)
    if running >= limit:
        raise TooManyImports(member_id, limit)
    _RUNNING[member_id] = running + 1
    try:
        yield
    finally:
        left = _RUNNING[member_id] - 1
        if left:
            _RUNNING[member_id] = left
        else:
            del _RUNNING[member_id]
